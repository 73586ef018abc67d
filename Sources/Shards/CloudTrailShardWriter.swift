import CloudTrail

/// Writes the `cloudtrail` table: one row per record, partitioned by event date.
public final class CloudTrailShardWriter {
  private let writer: PartitionedShardWriter<CloudTrailBatch>

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

  public func append(
    _ record: CloudTrailRecord, eventTime: Int64, scanner: JSONScanner, sourceFile: UnsafeRawBufferPointer,
    offset: Int64
  ) throws {
    try writer.append(day: PartitionLayout.day(ofMicros: eventTime)) { batch in
      batch.append(record, eventTime: eventTime, scanner: scanner, sourceFile: sourceFile, offset: offset)
    }
  }

  public func finish() throws -> [WrittenPart] { try writer.finish() }
}
