import Manifest
import Parquet
import Shards

#if canImport(Glibc)
  import Glibc
#endif

/// Checks an output directory against its manifest: every segment reads as a complete commit,
/// every part a commit names is there with its size, a readable footer and the rows the
/// manifest counts (with `deep`, every page is read, so each page's CRC-32 is checked), and no
/// part file is there that no commit names (readers would count its rows).
public struct VerifyJob: Sendable {
  public var outputDirectory: String
  public var deep = false

  public init(outputDirectory: String) { self.outputDirectory = outputDirectory }

  public struct Problem: Sendable, Codable {
    public var path: String
    public var problem: String
  }

  public struct Summary: Sendable, Codable {
    public var segments = 0
    public var parts = 0
    public var rows: Int64 = 0
    public var bytes: Int64 = 0
    public var deep = false
    public var problems: [Problem] = []
    /// Replaced parts still there for readers that listed them (not damage; see `RetainedParts`).
    public var retained = 0
    public var damaged: Bool { !problems.isEmpty }
  }

  public func run() throws -> Summary {
    var summary = Summary()
    summary.deep = deep
    let (state, segments, damaged) = try ManifestStore(outputDirectory: outputDirectory).loadChecking()
    summary.segments = segments
    for d in damaged { summary.problems.append(Problem(path: d.path, problem: d.reason)) }
    for part in state.parts.values.sorted(by: { $0.path < $1.path }) {
      summary.parts += 1
      summary.rows += part.rows
      summary.bytes += part.bytes
      if let problem = check(part) {
        summary.problems.append(Problem(path: "\(outputDirectory)/\(part.path)", problem: problem))
      }
    }
    for relative in PartitionLayout.listPartFiles(output: outputDirectory) {
      let name = relative.split(separator: "/").last ?? ""
      guard name.hasSuffix(".parquet"), !name.hasPrefix("."), state.parts[relative] == nil else { continue }
      if state.replaced[relative] != nil {
        summary.retained += 1
        continue
      }
      summary.problems.append(
        Problem(
          path: "\(outputDirectory)/\(relative)",
          problem: "not named by any commit: readers count its rows (an interrupted run's, or copied in)"))
    }
    return summary
  }

  /// What is wrong with one committed part, if anything.
  func check(_ part: PartRecord) -> String? {
    let path = "\(outputDirectory)/\(part.path)"
    var st = stat()
    guard stat(path, &st) == 0 else { return "missing: \(String(cString: strerror(errno)))" }
    guard Int64(st.st_size) == part.bytes else { return "\(st.st_size) bytes, the manifest says \(part.bytes)" }
    do {
      let file = try ParquetFile(path: path)
      let rows = file.metadata.rowGroups.reduce(0) { $0 + $1.rows }
      guard rows == part.rows else { return "\(rows) rows in its footer, the manifest says \(part.rows)" }
      if deep {
        for g in file.metadata.rowGroups.indices {
          for c in file.metadata.columns.indices { _ = try file.read(rowGroup: g, column: c) }
        }
      }
    } catch {
      return "\(error)"
    }
    return nil
  }
}
