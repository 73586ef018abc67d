import ArgumentParser
import Foundation
import Parquet

struct Inspect: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Show the schema, row groups, statistics, bloom filters and sizes of Parquet files.",
    discussion: """
      PATH is a Parquet file or a directory (every *.parquet below it). For each file: rows, row \
      groups, size, writer, sigtrail metadata; for each column: type, encodings, codec, \
      compressed and uncompressed bytes and their ratio, nulls, min and max over the file, and \
      the bloom filter bytes. Works on any flat Parquet file, not only sigtrail's.

      Examples:
        sigtrail inspect out/s3_access/dt=2023-11-15
        sigtrail inspect out --json | jq '.[].rows'
      """)

  @Argument(help: "Parquet files or directories.")
  var paths: [String]

  @Flag(help: "Print JSON instead of a table.")
  var json = false

  @Flag(help: "Also list every row group with its rows, bytes and the range of its sorting column.")
  var rowGroups = false

  struct ColumnReport: Codable {
    var name: String
    var type: String
    var encodings: [String]
    var codec: String
    var compressedBytes: Int64
    var uncompressedBytes: Int64
    var nulls: Int64?
    var min: String?
    var max: String?
    var bloomFilterBytes: Int64
  }

  struct RowGroupReport: Codable {
    var rows: Int64
    var compressedBytes: Int64
    var sortingColumn: String?
    var min: String?
    var max: String?
  }

  struct FileReport: Codable {
    var path: String
    var bytes: Int
    var rows: Int64
    var rowGroups: Int
    var createdBy: String?
    var metadata: [String: String]
    var compressionRatio: Double
    var columns: [ColumnReport]
    var rowGroupDetails: [RowGroupReport]?
  }

  func run() throws {
    var files: [String] = []
    for path in paths {
      var isDirectory: ObjCBool = false
      guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
        throw ValidationError("\(path): no such file or directory")
      }
      if isDirectory.boolValue {
        let walker = FileManager.default.enumerator(atPath: path)
        while let name = walker?.nextObject() as? String {
          if name.hasSuffix(".parquet") && !(name as NSString).lastPathComponent.hasPrefix(".") {
            files.append(path + "/" + name)
          }
        }
      } else {
        files.append(path)
      }
    }
    var reports: [FileReport] = []
    var failed = false
    for path in files.sorted() {
      do {
        reports.append(try report(ParquetFile(path: path)))
      } catch {
        Streams.error("sigtrail: \(error)\n")
        failed = true
      }
    }
    if json {
      try printJSONSummary(reports)
    } else {
      for r in reports { print(render(r)) }
    }
    if failed { throw ExitCode.failure }
  }

  func report(_ file: ParquetFile) throws -> FileReport {
    let m = file.metadata
    var columns: [ColumnReport] = []
    for (c, leaf) in m.columns.enumerated() {
      var compressed: Int64 = 0
      var uncompressed: Int64 = 0
      var nulls: Int64? = 0
      var low: [UInt8]?
      var high: [UInt8]?
      var bloom: Int64 = 0
      var encodings = Set<Encoding>()
      var codec: CompressionCodec?
      for group in m.rowGroups {
        let chunk = group.columns[c]
        compressed += chunk.compressedBytes
        uncompressed += chunk.uncompressedBytes
        encodings.formUnion(chunk.encodings)
        codec = chunk.codec
        bloom += Int64(chunk.bloomFilterLength ?? 0)
        if let n = chunk.statistics?.nullCount, let sum = nulls { nulls = sum + n } else { nulls = nil }
        if m.typeDefinedOrder, let s = chunk.statistics {
          if let v = s.min, low.map({ Self.less(v, $0, leaf) }) ?? true { low = v }
          if let v = s.max, high.map({ Self.less($0, v, leaf) }) ?? true { high = v }
        }
      }
      columns.append(
        ColumnReport(
          name: leaf.name, type: Self.describe(leaf),
          encodings: encodings.sorted { $0.rawValue < $1.rawValue }.map(\.name),
          codec: codec?.name ?? "unknown codec", compressedBytes: compressed, uncompressedBytes: uncompressed,
          nulls: nulls,
          min: low.map { Self.render($0, leaf) }, max: high.map { Self.render($0, leaf) }, bloomFilterBytes: bloom))
    }
    var details: [RowGroupReport]?
    if rowGroups {
      details = m.rowGroups.map { g in
        let sorting = g.sortingColumns.first.map(Int.init)
        let stats = sorting.flatMap { g.columns[$0].statistics }
        return RowGroupReport(
          rows: g.rows, compressedBytes: g.columns.reduce(0) { $0 + $1.compressedBytes },
          sortingColumn: sorting.map { m.columns[$0].name },
          min: sorting.flatMap { s in stats?.min.map { Self.render($0, m.columns[s]) } },
          max: sorting.flatMap { s in stats?.max.map { Self.render($0, m.columns[s]) } })
      }
    }
    let totalCompressed = columns.reduce(0) { $0 + $1.compressedBytes }
    let totalUncompressed = columns.reduce(0) { $0 + $1.uncompressedBytes }
    return FileReport(
      path: file.path, bytes: file.size, rows: m.rows, rowGroups: m.rowGroups.count, createdBy: m.createdBy,
      metadata: Dictionary(m.keyValue.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a }),
      compressionRatio: totalCompressed > 0 ? Double(totalUncompressed) / Double(totalCompressed) : 0,
      columns: columns, rowGroupDetails: details)
  }

  func render(_ r: FileReport) -> String {
    var lines = [
      "\(r.path)",
      "  \(r.rows) rows in \(r.rowGroups) row groups, \(r.bytes) bytes, pages \(String(format: "%.1f", r.compressionRatio))x compressed"
        + (r.createdBy.map { ", by \($0)" } ?? ""),
    ]
    for (k, v) in r.metadata.sorted(by: { $0.key < $1.key }) where !k.hasPrefix("ARROW:") {
      lines.append("  \(k) = \(v.count > 80 ? String(v.prefix(77)) + "..." : v)")
    }
    let header = ["column", "type", "encodings", "codec", "bytes", "ratio", "nulls", "min", "max", "bloom"]
    var rows = [header]
    for c in r.columns {
      rows.append([
        c.name, c.type, c.encodings.joined(separator: ","), c.codec, String(c.compressedBytes),
        c.compressedBytes > 0 ? String(format: "%.1f", Double(c.uncompressedBytes) / Double(c.compressedBytes)) : "-",
        c.nulls.map(String.init) ?? "?", Self.clip(c.min ?? ""), Self.clip(c.max ?? ""),
        c.bloomFilterBytes > 0 ? String(c.bloomFilterBytes) : "",
      ])
    }
    lines += Table.align(rows).map { "  " + $0 }
    if let groups = r.rowGroupDetails {
      for (i, g) in groups.enumerated() {
        lines.append(
          "  row group \(i): \(g.rows) rows, \(g.compressedBytes) bytes"
            + (g.sortingColumn.map { ", \($0) \(g.min ?? "?") .. \(g.max ?? "?")" } ?? ""))
      }
    }
    return lines.joined(separator: "\n")
  }

  static func clip(_ s: String) -> String { s.count > 32 ? String(s.prefix(31)) + "…" : s }

  static func describe(_ leaf: LeafColumn) -> String {
    let optional = leaf.optional ? "" : " not null"
    switch leaf.kind {
    case .boolean: return "boolean" + optional
    case .integer: return (leaf.physicalType == .int32 ? "int32" : "int64") + optional
    case .double: return "double" + optional
    case .string: return "string" + optional
    case .bytes: return "binary" + optional
    case .date: return "date" + optional
    case .timestamp(let units):
      return "timestamp(\(units == 1000 ? "ms" : units == 1_000_000 ? "us" : "ns"))" + optional
    case .unsupported(let what): return what
    }
  }

  static func less(_ a: [UInt8], _ b: [UInt8], _ leaf: LeafColumn) -> Bool {
    switch leaf.physicalType {
    case .int32?, .int64?: return ColumnChunkStatistics.integer(a) < ColumnChunkStatistics.integer(b)
    case .float?, .double?: return Double(render(a, leaf)) ?? 0 < Double(render(b, leaf)) ?? 0
    default: return a.lexicographicallyPrecedes(b)
    }
  }

  /// A statistics value in readable form.
  static func render(_ b: [UInt8], _ leaf: LeafColumn) -> String {
    switch leaf.kind {
    case .boolean: return b.first == 1 ? "true" : "false"
    case .timestamp(let units):
      let seconds = Double(ColumnChunkStatistics.integer(b)) / Double(units)
      return Table.iso8601(seconds: seconds)
    case .date:
      return String(Table.iso8601(seconds: Double(ColumnChunkStatistics.integer(b)) * 86400).prefix(10))
    case .integer: return String(ColumnChunkStatistics.integer(b))
    case .double:
      if b.count == 4 { return String(Float(bitPattern: UInt32(truncatingIfNeeded: ColumnChunkStatistics.integer(b)))) }
      return String(Double(bitPattern: UInt64(bitPattern: ColumnChunkStatistics.integer(b))))
    default: return String(decoding: b, as: UTF8.self)
    }
  }
}
