import Parquet
import ShardSchema

#if canImport(Glibc)
  import Glibc
#endif

/// Rewrites committed parts: without the rows of some inputs (a changed input is re-indexed and
/// its old rows must not count twice), or merged (compaction). A rewrite writes a new part
/// under a new name; the caller commits the swap in the manifest and only then deletes the old.
public enum PartRewriter {
  /// The schema a part declares in its `sigtrail.table` metadata.
  public static func schema(ofTable table: String) -> Schema? {
    switch table {
    case S3AccessSchema.tableName: return S3AccessSchema.schema
    case CloudTrailSchema.tableName: return CloudTrailSchema.schema
    case RejectsSchema.tableName: return RejectsSchema.schema
    default: return nil
    }
  }

  public struct Result: Sendable {
    /// The new part, relative to the output directory; nil when no row was left.
    public var newPath: String?
    public var rowsRemoved: Int
    public var rows: Int
    public var bytes: Int
  }

  /// Writes `part` again without the rows whose `source_file` is in `sourceFiles`; nil when the
  /// part has none of them.
  public static func removeRows(
    from part: String, sourceFiles: Set<String>, output: String, newName: String, options: ShardOptions,
    version: String
  ) throws -> Result? {
    let file = try ParquetFile(path: "\(output)/\(part)")
    let m = file.metadata
    guard let table = m.value(forKey: "sigtrail.table"), let schema = schema(ofTable: table),
      schema.columns.map(\.name) == m.columns.map(\.name)
    else { throw ShardError("\(part): not a sigtrail part of a known table and schema") }
    guard let sourceColumn = m.columnIndex(named: "source_file") else {
      throw ShardError("\(part): no source_file column")
    }
    var keep: [[Int32]] = []
    var removed = 0
    for g in 0..<m.rowGroups.count {
      let rows = try keptRows(file.read(rowGroup: g, column: sourceColumn), dropping: sourceFiles)
      removed += Int(m.rowGroups[g].rows) - rows.count
      keep.append(rows)
    }
    guard removed > 0 else { return nil }
    let kept = keep.reduce(0) { $0 + $1.count }
    guard kept > 0 else { return Result(newPath: nil, rowsRemoved: removed, rows: 0, bytes: 0) }
    let directory = part.split(separator: "/").dropLast().joined(separator: "/")
    let relative = "\(directory)/\(newName)"
    let bytes = try writePart(
      relative, output: output, schema: schema, options: options, version: version, table: table
    ) {
      writer in
      for g in 0..<m.rowGroups.count where !keep[g].isEmpty {
        let columns = try (0..<m.columns.count).map { try file.read(rowGroup: g, column: $0).materialized() }
        try writer.writeRowGroup(columns, order: keep[g], sortedByColumn: 0)
      }
    }
    return Result(newPath: relative, rowsRemoved: removed, rows: kept, bytes: bytes)
  }

  /// Merges `parts` (relative paths, one table and partition) into one part named `newName`,
  /// sorted by time (the first column of every table) with `rowGroupRows` rows per row group.
  public static func merge(
    _ parts: [String], output: String, newName: String, options: ShardOptions, version: String
  ) throws -> Result {
    var merged: [ColumnValues]?
    var table: String?
    var schema: Schema?
    for part in parts {
      let file = try ParquetFile(path: "\(output)/\(part)")
      let m = file.metadata
      guard let t = m.value(forKey: "sigtrail.table"), let s = Self.schema(ofTable: t),
        s.columns.map(\.name) == m.columns.map(\.name), table == nil || table == t
      else { throw ShardError("\(part): not a part of the same sigtrail table and schema") }
      table = t
      schema = s
      for g in 0..<m.rowGroups.count {
        let columns = try (0..<m.columns.count).map { try file.read(rowGroup: g, column: $0).materialized() }
        if merged == nil {
          merged = columns
        } else {
          for c in columns.indices { merged![c].append(contentsOf: columns[c]) }
        }
      }
    }
    guard let merged, let table, let schema, case .int64(let times, _) = merged[0] else {
      throw ShardError("nothing to merge")
    }
    let order = times.withUnsafeBufferPointer { timeOrder($0) }
    let directory = parts[0].split(separator: "/").dropLast().joined(separator: "/")
    let relative = "\(directory)/\(newName)"
    let bytes = try writePart(
      relative, output: output, schema: schema, options: options, version: version, table: table
    ) {
      writer in
      var start = 0
      while start < order.count {
        let end = min(order.count, start + options.rowGroupRows)
        try writer.writeRowGroup(merged, order: Array(order[start..<end]), sortedByColumn: 0)
        start = end
      }
    }
    return Result(newPath: relative, rowsRemoved: 0, rows: order.count, bytes: bytes)
  }

  /// Row numbers whose source file is not being dropped; dictionary entries are tested once each.
  static func keptRows(_ column: DecodedColumn, dropping sourceFiles: Set<String>) -> [Int32] {
    var keep: [Int32] = []
    switch column {
    case .dictionary(let dictionary, let codes, _):
      let drop = (0..<dictionary.count).map { i in
        sourceFiles.contains(String(decoding: dictionary.bytes[dictionary.range(i)], as: UTF8.self))
      }
      for (row, code) in codes.enumerated() where !drop[Int(code)] { keep.append(Int32(row)) }
    case .values(let values):
      guard case .byteArray(let b) = values else { return (0..<Int32(values.count)).map { $0 } }
      for row in 0..<b.count where !sourceFiles.contains(String(decoding: b.bytes[b.range(row)], as: UTF8.self)) {
        keep.append(Int32(row))
      }
    }
    return keep
  }

  /// Writes a part through `body` under a hidden name, then renames it into place durably.
  static func writePart(
    _ relative: String, output: String, schema: Schema, options: ShardOptions, version: String, table: String,
    _ body: (ParquetFileWriter) throws -> Void
  ) throws -> Int {
    let finalPath = "\(output)/\(relative)"
    let components = relative.split(separator: "/")
    let directory = "\(output)/\(components.dropLast().joined(separator: "/"))"
    let temporaryPath = "\(directory)/.\(components.last!).tmp"
    let writerOptions = options.writerOptions(version: version)
    do {
      let writer = try ParquetFileWriter(
        path: temporaryPath, schema: schema, options: writerOptions, mode: options.fileMode)
      try body(writer)
      try writer.finish(keyValueMetadata: [
        ("sigtrail.table", table),
        ("sigtrail.schema_version", "1"),
        ("sigtrail.version", version),
        ("sigtrail.row_count", String(writer.rowCount)),
      ])
      guard rename(temporaryPath, finalPath) == 0 else {
        throw ShardError("cannot rename \(temporaryPath) to \(finalPath): \(String(cString: strerror(errno)))")
      }
      try PartitionLayout.syncDirectory(directory)
      return writer.bytesWritten
    } catch {
      unlink(temporaryPath)
      throw error
    }
  }
}
