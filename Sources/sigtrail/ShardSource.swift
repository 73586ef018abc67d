import Foundation
import Query
import Shards

/// Where a query reads: an output directory's table, or Parquet files and directories.
struct ShardSource {
  var files: [String]
  var timeColumn: String?

  /// `--since` and `--until` as times (ISO-8601 or ages such as 7d).
  static func window(since: String?, until: String?) throws -> (Int64?, Int64?) {
    func parse(_ text: String?, _ option: String) throws -> Int64? {
      guard let text else { return nil }
      guard let t = TimeLiteral.parse(text) else { throw SourceError("\(option): '\(text)' is not a time or age") }
      return t
    }
    return (try parse(since, "--since"), try parse(until, "--until"))
  }

  static let timeColumns = ["s3_access": "request_time", "cloudtrail": "event_time", "rejects": "rejected_at"]

  /// `paths` are output directories (their `table` is read) or Parquet files/directories.
  static func resolve(_ paths: [String], table: String) throws -> ShardSource {
    var files: [String] = []
    var sawTable = false
    let fm = FileManager.default
    for path in paths {
      var isDirectory: ObjCBool = false
      guard fm.fileExists(atPath: path, isDirectory: &isDirectory) else {
        throw SourceError("\(path): no such file or directory")
      }
      if !isDirectory.boolValue {
        files.append(path)
        continue
      }
      let tableDirectory = path + "/" + table
      let root = fm.fileExists(atPath: tableDirectory) ? tableDirectory : path
      if root == tableDirectory { sawTable = true }
      let walker = fm.enumerator(atPath: root)
      while let name = walker?.nextObject() as? String {
        let last = (name as NSString).lastPathComponent
        if name.hasSuffix(".parquet") && !last.hasPrefix(".") && !name.hasPrefix("_") {
          files.append(root + "/" + name)
        }
      }
    }
    files.sort()
    return ShardSource(files: files, timeColumn: sawTable ? timeColumns[table] : nil)
  }
}

struct SourceError: Error, CustomStringConvertible {
  var description: String
  init(_ d: String) { description = d }
}
