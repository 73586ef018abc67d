import Parquet

#if canImport(Glibc)
  import Glibc
#endif

/// One memory budget shared by several writers of one thread (a worker's `s3_access` and
/// `cloudtrail` writers): each publishes what its buffers hold, and the one holding the most
/// writes a partition out when the total passes the budget. Not thread-safe by design: a worker
/// owns its gauge.
public final class MemoryGauge {
  public let budget: Int
  private var held: [Int] = []
  /// The encoding buffers and zstd context the writers take turns using: one set per thread,
  /// not one per writer.
  let writeContext = ParquetWriteContext()

  public init(budget: Int) { self.budget = budget }

  func register() -> Int {
    held.append(0)
    return held.count - 1
  }

  func publish(_ slot: Int, _ bytes: Int) { held[slot] = bytes }
  var total: Int { held.reduce(0, +) }
  var largest: Int { held.max() ?? 0 }
}

/// Rows of one table gathered for one partition, ready to become a sorted part.
protocol ShardBatch {
  static var tableName: String { get }
  static var schemaVersion: String { get }
  static var schema: Schema { get }
  init()
  var count: Int { get }
  /// Bytes allocated by the batch's builders, to bound memory across partitions.
  var approximateBytes: Int { get }
  /// Rows in output order: sorted by time, ties broken without regard to scheduling.
  func outputOrder() -> [Int32]
  /// The columns in schema order; text borrows the batch's memory (use them before appending).
  func columnInputs() -> [ColumnInput]
  /// Whether the batch must be written now whatever its row count (a text column reached its
  /// byte limit).
  var isFull: Bool { get }
  /// Empties the batch, keeping its memory for the next partition.
  mutating func removeAll()
}

/// Routes rows to their `dt` partition and writes each partition's rows as sorted,
/// zstd-compressed Parquet parts. A part is written under a hidden temporary name and renamed
/// only when complete, so readers never see half a file. Memory is bounded: a partition is
/// written when it reaches `partRows`, and the largest one when all together pass
/// `maxBufferedBytes`.
final class PartitionedShardWriter<Batch: ShardBatch> {
  let outputDirectory: String
  let runID: String
  let options: ShardOptions
  let version: String
  // Unchecked: touched on every row, and a run-time exclusivity check per access cost more than
  // the dictionary lookup. Safe: a writer is used by one thread, and `append`'s `body` fills a
  // batch without reaching the writer.
  @exclusivity(unchecked) private var batches: [Int64: Batch] = [:]
  /// An emptied batch kept for the next partition: refilling warm memory is far cheaper than
  /// faulting in fresh pages.
  private var spare: Batch?
  private var sequence = 0
  @exclusivity(unchecked) private var rowsSinceCheck = 0
  /// Each buffered batch's bytes when last measured, and its rows then: a batch's memory
  /// changes only as rows are added, and CloudTrail over 143 days kept 143 batches of 60
  /// builders per writer, measured at every check (1.4% of the run).
  private var measured: [Int64: (rows: Int, bytes: Int)] = [:]
  private(set) var parts: [WrittenPart] = []
  /// Syncs and renames finished parts while this writer goes on (see `PartPublisher`).
  private let publisher = PartPublisher()

  private let gauge: MemoryGauge
  private let slot: Int

  /// `gauge`, when given, is shared with the thread's other writers; otherwise this writer has
  /// `options.maxBufferedBytes` to itself.
  init(outputDirectory: String, runID: String, version: String, options: ShardOptions, gauge: MemoryGauge? = nil) {
    self.outputDirectory = outputDirectory
    self.runID = runID
    self.options = options
    self.version = version
    self.gauge = gauge ?? MemoryGauge(budget: options.maxBufferedBytes)
    slot = self.gauge.register()
  }

  /// Adds one row to the partition of `day` through `body`.
  func append(day: Int64, _ body: (inout Batch) -> Void) throws {
    // Through an index, the batch is changed and its size read in one in-place access:
    // reading `batches[day]!` copied the whole batch (a retain and a release of every column's
    // buffers) on every row.
    var index = batches.index(forKey: day)
    if index == nil {
      measured[day] = nil
      batches[day] = spare ?? Batch()
      spare = nil
      index = batches.index(forKey: day)
    }
    let limit = options.partRows
    func fill(_ batch: inout Batch) -> Bool {
      body(&batch)
      return batch.count >= limit || batch.isFull
    }
    if fill(&batches.values[index!]), let batch = batches.removeValue(forKey: day) {
      try write(batch, day: day)
    }
    rowsSinceCheck += 1
    if rowsSinceCheck >= 4096 {
      rowsSinceCheck = 0
      try enforceMemoryBound()
    }
  }

  /// Writes every partition still buffered and returns the parts written since the last call,
  /// each durable in place, so a caller can commit them (a checkpoint) and go on appending.
  func finish() throws -> [WrittenPart] {
    for day in batches.keys.sorted() {
      if let batch = batches.removeValue(forKey: day) { try write(batch, day: day) }
    }
    try publisher.settle()
    defer { parts = [] }
    return parts
  }

  /// Keeps the buffers of this writer and of the writers sharing its gauge under the budget:
  /// checked every few thousand rows and after every input (`Worker`), so a writer that gets no
  /// rows for a while still gives memory back when it holds the most.
  func enforceMemoryBound() throws {
    let spareBytes = spare?.approximateBytes ?? 0
    var own = spareBytes
    var largest: (day: Int64, bytes: Int)?
    for (day, batch) in batches {
      let b = bytes(of: batch, day: day)
      own += b
      if largest == nil || b > largest!.bytes { largest = (day, b) }
    }
    gauge.publish(slot, own)
    guard gauge.total > gauge.budget, own > 0, own >= gauge.largest else { return }
    if spare != nil {
      // Warm memory is worth keeping only while it fits in the budget.
      spare = nil
      gauge.publish(slot, own - spareBytes)
      return
    }
    if let largest, let batch = batches.removeValue(forKey: largest.day) {
      try write(batch, day: largest.day)
      spare = nil
    }
    gauge.publish(slot, batches.reduce(0) { $0 + bytes(of: $1.value, day: $1.key) })
  }

  private func bytes(of batch: Batch, day: Int64) -> Int {
    let rows = batch.count
    if let m = measured[day], m.rows == rows { return m.bytes }
    let b = batch.approximateBytes
    measured[day] = (rows, b)
    return b
  }

  /// Writes `batch` as one part, then keeps it, emptied, as the spare.
  private func write(_ batch: consuming Batch, day: Int64) throws {
    var batch = batch
    // The part's column views must be gone before emptying, or the buffers are not unique and
    // `removeAll(keepingCapacity:)` would allocate new ones.
    try writePart(batch, day: day)
    batch.removeAll()
    spare = batch
  }

  private func writePart(_ batch: Batch, day: Int64) throws {
    guard batch.count > 0 else { return }
    let directory = PartitionLayout.partitionDirectory(output: outputDirectory, table: Batch.tableName, day: day)
    try PartitionLayout.makeDirectories(directory)
    sequence += 1
    let name = "part-\(runID)-\(String(sequence).leftPadded(to: 5)).parquet"
    let finalPath = "\(directory)/\(name)"
    // Hidden name while incomplete: Athena, Hive and DuckDB globs skip dot-files.
    let temporaryPath = "\(directory)/.\(name).tmp"
    let order = batch.outputOrder()

    let writerOptions = options.writerOptions(version: version)
    // Text columns are views of the batch's memory: `batch` outlives every use of them here.
    let columns = batch.columnInputs()
    do {
      let writer = try ParquetFileWriter(
        path: temporaryPath, schema: Batch.schema, options: writerOptions, mode: options.fileMode,
        context: gauge.writeContext)
      var start = 0
      while start < order.count {
        let end = min(order.count, start + options.rowGroupRows)
        try writer.writeRowGroup(columns, order: Array(order[start..<end]), sortedByColumn: 0)
        start = end
      }
      try writer.finish(
        keyValueMetadata: [
          ("sigtrail.table", Batch.tableName),
          ("sigtrail.schema_version", Batch.schemaVersion),
          ("sigtrail.version", version),
          ("sigtrail.run_id", runID),
          ("sigtrail.row_count", String(order.count)),
        ], durable: false)
      // Synced, renamed and its directory synced by the publisher; `finish` waits for that
      // before the caller's manifest commit names the part.
      publisher.publish(temporaryPath: temporaryPath, finalPath: finalPath, directory: directory)
      parts.append(
        WrittenPart(
          table: Batch.tableName, partition: "dt=\(PartitionLayout.dateString(day: day))",
          path: finalPath, rows: order.count, bytes: writer.bytesWritten))
    } catch {
      unlink(temporaryPath)
      throw error
    }
  }
}

/// Sorts row numbers by a time column; ties keep input order, so output is reproducible.
func timeOrder(_ times: UnsafeBufferPointer<Int64>) -> [Int32] {
  var order = (0..<Int32(times.count)).map { $0 }
  order.sort { a, b in
    let ta = times[Int(a)]
    let tb = times[Int(b)]
    return ta != tb ? ta < tb : a < b
  }
  return order
}
