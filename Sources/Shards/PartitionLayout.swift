import LogBytes
import ShardSchema

#if canImport(Glibc)
  import Glibc
#endif

/// Hive-style layout: `OUT/<table>/dt=YYYY-MM-DD/part-<run>-<seq>.parquet`, which Athena, Trino,
/// Spark, DuckDB and pyarrow read as a table partitioned by `dt`.
public enum PartitionLayout {
  /// `YYYY-MM-DD` of a day number (days since the epoch).
  public static func dateString(day: Int64) -> String {
    let (y, m, d) = TimeParser.civilFromDays(day)
    func pad(_ v: Int, _ width: Int) -> String {
      let s = String(v)
      return String(repeating: "0", count: max(0, width - s.count)) + s
    }
    return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))"
  }

  @inline(__always)
  public static func day(ofMicros micros: Int64) -> Int64 {
    micros >= 0 ? micros / TimeParser.microsPerDay : (micros + 1) / TimeParser.microsPerDay - 1
  }

  public static func partitionDirectory(output: String, table: String, day: Int64) -> String {
    "\(output)/\(table)/dt=\(dateString(day: day))"
  }

  /// `mkdir -p`, group-readable at most.
  public static func makeDirectories(_ path: String) throws {
    var current = path.hasPrefix("/") ? "" : "."
    for component in path.split(separator: "/") {
      current += "/" + component
      if mkdir(current, 0o750) != 0 && errno != EEXIST {
        throw ShardError("cannot create directory \(current): \(String(cString: strerror(errno)))")
      }
    }
  }
}

extension PartitionLayout {
  /// fsync on a directory makes a rename in it durable.
  public static func syncDirectory(_ path: String) throws { try sync(path, flags: O_DIRECTORY) }

  /// fsync of a file closed without one (its bytes are on disk when this returns).
  static func syncFile(_ path: String) throws { try sync(path, flags: 0) }

  private static func sync(_ path: String, flags: Int32) throws {
    let fd = open(path, O_RDONLY | O_CLOEXEC | flags)
    guard fd >= 0 else { throw ShardError("cannot open \(path): \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    guard fsync(fd) == 0 else { throw ShardError("cannot fsync \(path): \(String(cString: strerror(errno)))") }
  }

  /// The tables an output directory holds.
  public static let tables = ShardTable.allCases.map(\.rawValue)

  /// `part-<runID>-...parquet` (or its hidden temporary form) → the run id, whose last
  /// component may name a fleet slice (`-s<I>of<N>`).
  public static func runID(ofPart name: String) -> String? {
    var n = Substring(name)
    if n.hasPrefix(".") { n = n.dropFirst() }
    guard n.hasPrefix("part-") else { return nil }
    n = n.dropFirst(5)
    // <stamp>-<pid>[-s<I>of<N>]-w<k>-<seq>.parquet, or -r<seq> / -c<seq> for rewrites.
    let fields = n.split(separator: "-")
    guard fields.count >= 3 else { return nil }
    var runFields = fields.prefix(2)
    let third = fields[2]
    if fields.count >= 4, third.hasPrefix("s"), third.contains("of"), third.dropFirst().first?.isNumber == true {
      runFields = fields.prefix(3)
    }
    return runFields.joined(separator: "-")
  }

  /// Every file under `OUT/<table>/dt=*/`, relative to `output`.
  public static func listPartFiles(output: String) -> [String] {
    var result: [String] = []
    for table in tables {
      for partition in listDirectory("\(output)/\(table)") where partition.hasPrefix("dt=") {
        for name in listDirectory("\(output)/\(table)/\(partition)") where name.contains("part-") {
          result.append("\(table)/\(partition)/\(name)")
        }
      }
    }
    return result.sorted()
  }

  static func listDirectory(_ path: String) -> [String] {
    guard let dir = opendir(path) else { return [] }
    defer { closedir(dir) }
    var names: [String] = []
    while let entry = readdir(dir) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
        String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
      }
      if name != ".", name != ".." { names.append(name) }
    }
    return names
  }
}

public struct ShardError: Error, CustomStringConvertible, Sendable {
  public var description: String
  public init(_ description: String) { self.description = description }
}
