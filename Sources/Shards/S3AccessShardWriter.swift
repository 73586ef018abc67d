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
  /// Memory allocated for buffered rows (all open partitions of all workers together) stays
  /// under about this many bytes; past it, the largest partition is written out early. The
  /// process holds about 1.15 times this plus 230 MB (readers, encoding, the allocator's free
  /// lists): 192 MiB keeps 10 GB of access logs with CloudTrail under 512 MB, where 256 MiB
  /// reached 550 MB, at the same speed and part sizes within 1%.
  public var maxBufferedBytes = 192 << 20
  /// 1: on access logs it writes the same bytes as level 3 (within 0.1%) about 7% faster
  /// overall (tools/bench-peers, 1 GB); readers decode every level alike.
  public var zstdLevel: Int32 = 1
  /// The DELTA encodings for the columns whose schema asks for them (about 2% smaller shards);
  /// off, only PLAIN and dictionaries, which Spark before 3.3 and Iceberg's vectorized Spark
  /// reader need.
  public var deltaEncodings = true
  /// Permission bits of parts: owner and group only, since logs name people and addresses.
  public var fileMode: UInt32 = 0o640

  public init() {}

  /// The Parquet writer's options for a part written by sigtrail `version`.
  func writerOptions(version: String) -> WriterOptions {
    var w = WriterOptions()
    w.zstdLevel = zstdLevel
    w.deltaEncodings = deltaEncodings
    w.createdBy = "sigtrail version \(version) (build \(BuildInfo.commit))"
    return w
  }
}

/// One finished, visible part file.
public struct WrittenPart: Sendable {
  public var table: String
  public var partition: String
  public var path: String
  public var rows: Int
  public var bytes: Int
}

/// Writes the `s3_access` table: one row per tokenized access-log line.
public final class S3AccessShardWriter {
  private let writer: PartitionedShardWriter<S3AccessBatch>

  /// `gauge`: a memory budget shared with the thread's other writers (see `MemoryGauge`).
  public init(
    outputDirectory: String, runID: String, version: String, options: ShardOptions = ShardOptions(),
    gauge: MemoryGauge? = nil
  ) {
    writer = PartitionedShardWriter(
      outputDirectory: outputDirectory, runID: runID, version: version, options: options, gauge: gauge)
  }

  /// Writes out a partition if this writer holds the most of an exceeded shared budget.
  public func enforceMemoryBound() throws { try writer.enforceMemoryBound() }

  /// Adds the row for one tokenized line.
  public func append(
    line: UnsafeRawBufferPointer, record: AccessLogRecord, sourceFile: UnsafeRawBufferPointer, offset: Int64
  ) throws {
    try writer.append(day: PartitionLayout.day(ofMicros: record.requestTimeMicros)) { batch in
      batch.append(line: line, record: record, sourceFile: sourceFile, offset: offset)
    }
  }

  /// Writes every partition still buffered; returns all parts written.
  public func finish() throws -> [WrittenPart] { try writer.finish() }
}

extension String {
  /// Zero-padded on the left to `width` characters (part sequence numbers).
  public func leftPadded(to width: Int) -> String {
    count >= width ? self : String(repeating: "0", count: width - count) + self
  }
}
