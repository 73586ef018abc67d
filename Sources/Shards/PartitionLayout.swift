import LogBytes

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

public struct ShardError: Error, CustomStringConvertible, Sendable {
  public var description: String
  public init(_ description: String) { self.description = description }
}
