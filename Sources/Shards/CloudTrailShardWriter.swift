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

  /// `record` is passed on by address: a record is a kilobyte of values, and passed by value
  /// through the writer's closure it was copied (and its instance-id list retained) twice per
  /// record; once remains, where the batch reads it.
  public func append(
    _ record: inout CloudTrailRecord, eventTime: Int64, scanner: JSONScanner, sourceFile: UnsafeRawBufferPointer,
    offset: Int64
  ) throws {
    try withUnsafePointer(to: &record) { r in
      try writer.append(day: PartitionLayout.day(ofMicros: eventTime)) { batch in
        batch.append(r, eventTime: eventTime, scanner: scanner, sourceFile: sourceFile, offset: offset)
      }
    }
  }

  public func finish() throws -> [WrittenPart] { try writer.finish() }
}
