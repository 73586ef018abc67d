import Parquet
import Presign
import ShardSchema

struct RejectsBatch: ShardBatch {
  static var tableName: String { RejectsSchema.tableName }
  static var schemaVersion: String { RejectsSchema.schemaVersion }
  static var schema: Schema { RejectsSchema.schema }
  private typealias C = RejectsSchema.Column

  private var columns = ColumnSet(schema: RejectsSchema.schema)

  init() {}

  var count: Int { columns.count(int64: columns.slot(C.rejectedAt.rawValue)) }
  var approximateBytes: Int { columns.allocatedBytes }
  func outputOrder() -> [Int32] {
    // In file order: a rejects part reads like the report of the run.
    var order = (0..<Int32(count)).map { $0 }
    columns.withInt64s(columns.slot(C.sourceOffset.rawValue)) { offsets in
      columns.withText(columns.slot(C.sourceFile.rawValue)) { file in
        order.sort { a, b in
          let fa = file(Int(a))
          let fb = file(Int(b))
          if !fa.elementsEqual(fb) { return fa.lexicographicallyPrecedes(fb) }
          return offsets[Int(a)] < offsets[Int(b)]
        }
      }
    }
    return order
  }
  func columnInputs() -> [ColumnInput] { columns.columnInputs() }
  var isFull: Bool { columns.isFull }
  mutating func removeAll() { columns.removeAll() }

  mutating func append(
    at time: Int64, table: String, sourceFile: UnsafeRawBufferPointer, offset: Int64, reason: String,
    explanation: String, excerpt: UnsafeRawBufferPointer?, runID: String
  ) {
    columns.append(columns.slot(C.rejectedAt.rawValue), int64: time)
    columns.appendText(columns.slot(C.table.rawValue), table)
    columns.appendText(columns.slot(C.sourceFile.rawValue), sourceFile)
    columns.append(columns.slot(C.sourceOffset.rawValue), int64: offset)
    columns.appendText(columns.slot(C.reason.rawValue), reason)
    columns.appendText(columns.slot(C.explanation.rawValue), explanation)
    if let excerpt {
      let kept = UnsafeRawBufferPointer(rebasing: excerpt[0..<min(excerpt.count, RejectsSchema.excerptLimit)])
      // Scrubbed as every text value is (ColumnSet.appendText).
      columns.appendText(columns.slot(C.excerpt.rawValue), kept)
      columns.append(columns.slot(C.excerptTruncated.rawValue), bool: excerpt.count > kept.count)
    } else {
      columns.appendNull(columns.slot(C.excerpt.rawValue))
      columns.append(columns.slot(C.excerptTruncated.rawValue), bool: nil)
    }
    columns.appendText(columns.slot(C.runID.rawValue), runID)
  }
}

/// Writes the `rejects` table, partitioned by the day the run started.
public final class RejectsShardWriter {
  private let writer: PartitionedShardWriter<RejectsBatch>
  private let runID: String
  private let runStartMicros: Int64

  /// `partRunID` names the part files (unique per worker); `runID` is the run's own id, stored
  /// in every row.
  public init(
    outputDirectory: String, partRunID: String, runID: String, runStartMicros: Int64, version: String,
    options: ShardOptions = ShardOptions()
  ) {
    writer = PartitionedShardWriter(
      outputDirectory: outputDirectory, runID: partRunID, version: version, options: options)
    self.runID = runID
    self.runStartMicros = runStartMicros
  }

  /// Records one rejection; `excerpt` is the rejected bytes (cut to 512 and scrubbed here).
  public func append(
    table: String, sourceFile: UnsafeRawBufferPointer, offset: Int64, reason: String, explanation: String,
    excerpt: UnsafeRawBufferPointer?
  ) throws {
    let time = runStartMicros
    let runID = self.runID
    try writer.append(day: PartitionLayout.day(ofMicros: time)) { batch in
      batch.append(
        at: time, table: table, sourceFile: sourceFile, offset: offset, reason: reason, explanation: explanation,
        excerpt: excerpt, runID: runID)
    }
  }

  public func finish() throws -> [WrittenPart] { try writer.finish() }
}
