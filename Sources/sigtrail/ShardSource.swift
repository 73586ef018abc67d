import Foundation
import Hunts
import Manifest
import Pipeline
import Query
import S3Store
import Shards

/// Where a query reads: an output directory's table, or Parquet files and directories.
struct ShardSource {
  var files: [String]
  var timeColumn: String?

  /// What the hunts and the report read: both tables of an output directory (either may be
  /// missing, not both), within `--since/--until`. An output in S3 (`s3://bucket/prefix/`) is
  /// read in place through `remote`: its manifest, then only the byte ranges the scans touch;
  /// credentials and endpoint come from the environment and the default profile, as for the
  /// AWS CLI.
  static func huntData(_ out: String, since: Int64?, until: Int64?, threads: Int, remote: RemoteOutputs) throws
    -> HuntData
  {
    try huntDataAndManifest(out, since: since, until: until, threads: threads, remote: remote).data
  }

  /// `huntData`, and the manifest state it was read from (nil for a directory without one).
  static func huntDataAndManifest(
    _ out: String, since: Int64?, until: Int64?, threads: Int, remote: RemoteOutputs
  ) throws -> (data: HuntData, manifest: ManifestState?) {
    let out = try remote.directory(for: out)
    // One snapshot for both tables: the manifest is read once.
    let snapshot = try snapshots([out])
    let access = try resolve([out], table: .s3Access, required: false, snapshots: snapshot, remote: remote)
    let trail = try resolve([out], table: .cloudtrail, required: false, snapshots: snapshot, remote: remote)
    guard access.timeColumn != nil || trail.timeColumn != nil else {
      throw SourceError("\(out) holds no s3_access or cloudtrail table (is it an output directory of sigtrail index?)")
    }
    var d = HuntData(
      accessLogFiles: access.timeColumn == nil ? [] : access.files,
      cloudTrailFiles: trail.timeColumn == nil ? [] : trail.files, files: remote.files)
    (d.since, d.until) = (since, until)
    d.threads = threads
    return (d, snapshot[out])
  }

  /// `paths` are output directories (their `table` is read) or Parquet files/directories. An
  /// output directory without the table is an error, or, when the table is not `required`, no
  /// files.
  /// The last commit of each output directory among `paths` (by path).
  static func snapshots(_ paths: [String]) throws -> [String: ManifestState] {
    var out: [String: ManifestState] = [:]
    for path in paths where FileManager.default.fileExists(atPath: path + "/_manifest") {
      out[path] = try ManifestStore(outputDirectory: path).load()
    }
    return out
  }

  static func resolve(
    _ paths: [String], table: TableName, required: Bool = true, snapshots given: [String: ManifestState]? = nil,
    remote: RemoteOutputs
  ) throws -> ShardSource {
    let paths = try paths.map(remote.directory)
    let snapshots = try given ?? snapshots(paths)
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
      let tableDirectory = path + "/" + table.rawValue
      let hasTable = fm.fileExists(atPath: tableDirectory)
      let tables = TableName.allCases.map(\.rawValue).filter { fm.fileExists(atPath: path + "/" + $0) }.sorted()
      if !hasTable && (!tables.isEmpty || fm.fileExists(atPath: path + "/_manifest")) {
        // An output directory without this table: answering from the other tables' parts
        // would be a wrong answer, not an empty one.
        if !required { continue }
        throw SourceError(
          "\(path) has no \(table.rawValue) table (it holds: \(tables.isEmpty ? "none" : tables.joined(separator: ", ")))"
        )
      }
      let root = hasTable ? tableDirectory : path
      if hasTable { sawTable = true }
      // An output directory is read as its last commit names it (a snapshot): not a part an
      // interrupted or concurrent run has not committed, nor one a compaction has replaced.
      if hasTable, let state = snapshots[path] {
        for part in state.parts.values where part.table == table.rawValue {
          let file = path + "/" + part.path
          if fm.fileExists(atPath: file) {
            files.append(file)
          } else {
            Streams.error(
              "sigtrail: warning: \(file) is named by the manifest but missing (sigtrail verify --repair)\n")
          }
        }
        continue
      }
      let walker = fm.enumerator(atPath: root)
      while let name = walker?.nextObject() as? String {
        let last = (name as NSString).lastPathComponent
        if name.hasSuffix(".parquet") && !last.hasPrefix(".") && !name.hasPrefix("_") {
          files.append(root + "/" + name)
        }
      }
    }
    files.sort()
    return ShardSource(files: files, timeColumn: sawTable ? table.timeColumn : nil)
  }
}

extension ShardSource {
  /// Runs `body` (which resolves its sources) again, on a fresh snapshot, when a part it was
  /// about to read vanished: a compaction or retraction committed and deleted it meanwhile.
  static func consistently<T>(_ body: () throws -> T) throws -> T {
    var attempt = 0
    while true {
      do {
        return try body()
      } catch {
        attempt += 1
        guard attempt < 5, "\(error)".contains("No such file or directory") else { throw error }
      }
    }
  }
}

struct SourceError: Error, CustomStringConvertible {
  var description: String
  init(_ d: String) { description = d }
}
