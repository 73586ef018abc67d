import AccessLog
import Parquet

#if canImport(Glibc)
  import Glibc
#endif

public struct ShardOptions: Sendable {
  /// Rows in one part file; each part is sorted by request time as a whole.
  public var partRows = 262_144
  /// Rows per row group inside a part: each row group is a contiguous time window.
  public var rowGroupRows = 65_536
  /// Buffered rows of all open partitions together stay under about this many bytes; past it,
  /// the largest partition is written out early.
  public var maxBufferedBytes = 384 << 20
  public var zstdLevel: Int32 = 3
  /// Permission bits of parts: owner and group only, since logs name people and addresses.
  public var fileMode: UInt32 = 0o640

  public init() {}
}

/// One finished, visible part file.
public struct WrittenPart: Sendable {
  public var table: String
  public var partition: String
  public var path: String
  public var rows: Int
  public var bytes: Int
}

/// Routes `s3_access` rows to their `dt` partition and writes each partition's rows as sorted,
/// zstd-compressed Parquet parts. A part is written under a hidden temporary name and renamed
/// only when complete, so readers never see half a file.
public final class S3AccessShardWriter {
  public let outputDirectory: String
  public let runID: String
  public let options: ShardOptions
  public let createdBy: String
  public let version: String
  private var batches: [Int64: S3AccessBatch] = [:]
  private var scratch = RowScratch()
  private var sequence = 0
  private var rowsSinceCheck = 0
  public private(set) var parts: [WrittenPart] = []

  public init(outputDirectory: String, runID: String, version: String, options: ShardOptions = ShardOptions()) {
    self.outputDirectory = outputDirectory
    self.runID = runID
    self.options = options
    self.version = version
    self.createdBy = "sigtrail version \(version) (build \(BuildInfo.commit))"
  }

  /// Adds the row for one tokenized line.
  public func append(
    line: UnsafeRawBufferPointer, record: AccessLogRecord, sourceFile: UnsafeRawBufferPointer, offset: Int64
  ) throws {
    let day = PartitionLayout.day(ofMicros: record.requestTimeMicros)
    batches[day, default: S3AccessBatch()].append(
      line: line, record: record, sourceFile: sourceFile, offset: offset, scratch: &scratch)
    if batches[day]!.count >= options.partRows, let batch = batches.removeValue(forKey: day) {
      try write(batch, day: day)
    }
    rowsSinceCheck += 1
    if rowsSinceCheck >= 4096 {
      rowsSinceCheck = 0
      try enforceMemoryBound()
    }
  }

  /// Writes every partition still buffered; returns all parts written by this writer.
  public func finish() throws -> [WrittenPart] {
    for day in batches.keys.sorted() {
      if let batch = batches.removeValue(forKey: day) { try write(batch, day: day) }
    }
    return parts
  }

  private func enforceMemoryBound() throws {
    var total = 0
    var largest: (day: Int64, bytes: Int)?
    for (day, batch) in batches {
      let b = batch.approximateBytes
      total += b
      if largest == nil || b > largest!.bytes { largest = (day, b) }
    }
    if total > options.maxBufferedBytes, let largest, let batch = batches.removeValue(forKey: largest.day) {
      try write(batch, day: largest.day)
    }
  }

  private func write(_ batch: S3AccessBatch, day: Int64) throws {
    guard batch.count > 0 else { return }
    let directory = PartitionLayout.partitionDirectory(
      output: outputDirectory, table: S3AccessSchema.tableName, day: day)
    try PartitionLayout.makeDirectories(directory)
    sequence += 1
    let name = "part-\(runID)-\(String(sequence).leftPadded(to: 5)).parquet"
    let finalPath = "\(directory)/\(name)"
    // Hidden name while incomplete: Athena, Hive and DuckDB globs skip dot-files.
    let temporaryPath = "\(directory)/.\(name).tmp"

    // Sort by request time; ties keep input order, so output is reproducible.
    let times = batch.requestTime
    var order = (0..<Int32(batch.count)).map { $0 }
    order.sort { a, b in
      let ta = times[Int(a)]
      let tb = times[Int(b)]
      return ta != tb ? ta < tb : a < b
    }

    var writerOptions = WriterOptions()
    writerOptions.zstdLevel = options.zstdLevel
    writerOptions.createdBy = createdBy
    let columns = batch.columnValues()
    do {
      let writer = try ParquetFileWriter(
        path: temporaryPath, schema: S3AccessSchema.schema, options: writerOptions, mode: options.fileMode)
      var start = 0
      while start < order.count {
        let end = min(order.count, start + options.rowGroupRows)
        try writer.writeRowGroup(columns, order: Array(order[start..<end]), sortedByColumn: 0)
        start = end
      }
      try writer.finish(keyValueMetadata: [
        ("sigtrail.table", S3AccessSchema.tableName),
        ("sigtrail.schema_version", S3AccessSchema.schemaVersion),
        ("sigtrail.version", version),
        ("sigtrail.run_id", runID),
        ("sigtrail.row_count", String(batch.count)),
      ])
      guard rename(temporaryPath, finalPath) == 0 else {
        throw ShardError("cannot rename \(temporaryPath) to \(finalPath): \(String(cString: strerror(errno)))")
      }
      parts.append(
        WrittenPart(
          table: S3AccessSchema.tableName, partition: "dt=\(PartitionLayout.dateString(day: day))",
          path: finalPath, rows: batch.count, bytes: writer.bytesWritten))
    } catch {
      unlink(temporaryPath)
      throw error
    }
  }
}

extension String {
  func leftPadded(to width: Int) -> String {
    count >= width ? self : String(repeating: "0", count: width - count) + self
  }
}
