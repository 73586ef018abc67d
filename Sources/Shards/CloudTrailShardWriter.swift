import CloudTrail

/// Writes the `cloudtrail` table: one row per record, partitioned by event date.
public final class CloudTrailShardWriter {
  private let writer: PartitionedShardWriter<CloudTrailBatch>

  public init(outputDirectory: String, runID: String, version: String, options: ShardOptions = ShardOptions()) {
    writer = PartitionedShardWriter(outputDirectory: outputDirectory, runID: runID, version: version, options: options)
  }

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
