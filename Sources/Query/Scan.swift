import Dispatch
import LogBytes
import Parquet
import Synchronization

/// What to read: files, a filter, the columns wanted, and an optional time window on the
/// table's time column (also used to skip whole `dt=` partitions by their directory name).
public struct ScanRequest: Sendable {
  public var files: [String]
  public var predicate: Predicate = .always
  public var columns: [String]
  public var timeColumn: String?
  public var since: Int64?
  public var until: Int64?
  public var threads = 2
  public var now = TimeLiteral.nowMicros()

  public init(files: [String], columns: [String]) {
    self.files = files
    self.columns = columns
  }
}

/// How much of the data a scan touched: the `--explain` report.
public struct ScanStatistics: Sendable, Codable {
  public var files = 0
  public var filesSkippedByPartition = 0
  public var rowGroups = 0
  public var rowGroupsRead = 0
  public var rowGroupsSkippedByStatistics = 0
  public var rowGroupsSkippedByBloomFilter = 0
  public var rowsRead: Int64 = 0
  public var rowsMatched: Int64 = 0
  public var bytesRead: Int64 = 0

  public init() {}

  public mutating func add(_ o: ScanStatistics) {
    files += o.files
    filesSkippedByPartition += o.filesSkippedByPartition
    rowGroups += o.rowGroups
    rowGroupsRead += o.rowGroupsRead
    rowGroupsSkippedByStatistics += o.rowGroupsSkippedByStatistics
    rowGroupsSkippedByBloomFilter += o.rowGroupsSkippedByBloomFilter
    rowsRead += o.rowsRead
    rowsMatched += o.rowsMatched
    bytesRead += o.bytesRead
  }
}

/// Reads the matching rows of many Parquet files: partitions outside the time window are not
/// opened, row groups are skipped by min/max and bloom filters, only the columns the filter and
/// the output need are decoded, and row groups are read in parallel.
public enum Scanner {
  /// Calls `onRows` (from worker threads, one call per row group with matches) with the values
  /// of `request.columns` for every matching row.
  public static func scan(
    _ request: ScanRequest, onRows: @Sendable ([[Value]]) -> Void
  ) throws -> ScanStatistics {
    try scan(request, onBatch: { onRows($0.rows) })
  }

  /// Like `scan(_:onRows:)`, handing over each row group's matches as a `RowBatch`, whose cells
  /// are read on demand (no array per row).
  public static func scan(
    _ request: ScanRequest, onBatch: @Sendable (RowBatch) -> Void
  ) throws -> ScanStatistics {
    let onRows = onBatch
    var predicate = request.predicate
    if let time = request.timeColumn {
      var window: [Predicate] = [predicate]
      if let since = request.since { window.append(.compare(time, .ge, Value.iso8601(since))) }
      if let until = request.until { window.append(.compare(time, .lt, Value.iso8601(until))) }
      predicate = Predicate.all(window)
    }
    let sinceDay = request.since.map { $0 >= 0 ? $0 / 86_400_000_000 : ($0 + 1) / 86_400_000_000 - 1 }
    let untilDay = request.until.map { $0 >= 0 ? $0 / 86_400_000_000 : ($0 + 1) / 86_400_000_000 - 1 }

    var stats = ScanStatistics()
    var candidates: [String] = []
    for path in request.files {
      stats.files += 1
      if let day = partitionDay(path), (sinceDay.map { day < $0 } ?? false) || (untilDay.map { day > $0 } ?? false) {
        stats.filesSkippedByPartition += 1
        continue
      }
      candidates.append(path)
    }
    // Open every file (footers) in parallel, then plan the row groups.
    let opened = Mutex<[Int: Result<ParquetFile, ParquetError>]>([:])
    let paths = candidates
    DispatchQueue.concurrentPerform(iterations: paths.count) { i in
      let result: Result<ParquetFile, ParquetError>
      do throws(ParquetError) { result = .success(try ParquetFile(path: paths[i])) } catch {
        result = .failure(error)
      }
      opened.withLock { $0[i] = result }
    }
    struct Task: Sendable {
      var file: ParquetFile
      var group: Int
      var predicate: CompiledPredicate
      var output: [Int]
    }
    var tasks: [Task] = []
    let files = opened.withLock { $0 }
    // Shards of one table share a schema: compile the filter once per distinct schema.
    var compiledBySchema: [[String]: CompiledPredicate] = [:]
    for i in 0..<candidates.count {
      let file = try files[i]!.get()
      let m = file.metadata
      let names = m.columns.map(\.name)
      let compiled: CompiledPredicate
      if let known = compiledBySchema[names] {
        compiled = known
      } else {
        compiled = try CompiledPredicate.compile(predicate, metadata: m, now: request.now)
        compiledBySchema[names] = compiled
      }
      let output = try request.columns.map { name in
        guard let c = m.columnIndex(named: name) else { throw QueryError("\(file.path): no column '\(name)'") }
        return c
      }
      for g in 0..<m.rowGroups.count {
        stats.rowGroups += 1
        switch Pruning.verdict(compiled, file: file, group: g) {
        case .read: tasks.append(Task(file: file, group: g, predicate: compiled, output: output))
        case .skipByStatistics: stats.rowGroupsSkippedByStatistics += 1
        case .skipByBloomFilter: stats.rowGroupsSkippedByBloomFilter += 1
        }
      }
    }
    let shared = Mutex((stats: ScanStatistics(), error: ParquetError?.none))
    let next = Mutex(0)
    let plan = tasks
    DispatchQueue.concurrentPerform(iterations: max(1, min(request.threads, plan.count))) { _ in
      while true {
        let k = next.withLock { n in
          defer { n += 1 }
          return n
        }
        guard k < plan.count, shared.withLock({ $0.error == nil }) else { return }
        let task = plan[k]
        do throws(ParquetError) {
          let local = try readGroup(task.file, task.group, task.predicate, task.output, onRows)
          shared.withLock { $0.stats.add(local) }
        } catch {
          shared.withLock { if $0.error == nil { $0.error = error } }
        }
      }
    }
    let result = shared.withLock { $0 }
    if let error = result.error { throw error }
    stats.add(result.stats)
    return stats
  }

  private static func readGroup(
    _ file: ParquetFile, _ g: Int, _ predicate: CompiledPredicate, _ output: [Int],
    _ onRows: (RowBatch) -> Void
  ) throws(ParquetError) -> ScanStatistics {
    var s = ScanStatistics()
    let m = file.metadata
    let rows = Int(m.rowGroups[g].rows)
    s.rowGroupsRead = 1
    s.rowsRead = Int64(rows)
    var columns: [Int: DecodedColumn] = [:]
    for c in predicate.columns {
      columns[c] = try file.read(rowGroup: g, column: c)
      s.bytesRead += m.rowGroups[g].columns[c].compressedBytes
    }
    let mask = Evaluation.mask(predicate, columns: columns, rows: rows)
    let selected = (0..<rows).filter { mask[$0] }
    s.rowsMatched = Int64(selected.count)
    guard !selected.isEmpty else { return s }
    for c in output where columns[c] == nil {
      columns[c] = try file.read(rowGroup: g, column: c)
      s.bytesRead += m.rowGroups[g].columns[c].compressedBytes
    }
    onRows(RowBatch(readers: output.map { c in ValueReader(columns[c]!, m.columns[c]) }, selected: selected))
    return s
  }

  /// The day of a `dt=YYYY-MM-DD` directory in a path, if any.
  static func partitionDay(_ path: String) -> Int64? {
    guard let component = path.split(separator: "/").last(where: { $0.hasPrefix("dt=") }) else { return nil }
    let text = String(component.dropFirst(3).prefix(10)) + "T00:00:00Z"
    return TimeLiteral.parse(text).map { $0 / 86_400_000_000 }
  }
}

/// The matching rows of one row group: `value(i, column)` is row `i`'s value of the scan's
/// `column`-th output column.
public struct RowBatch {
  let readers: [ValueReader]
  let selected: [Int]

  public var count: Int { selected.count }

  @inline(__always)
  public func value(_ i: Int, _ column: Int) -> Value { readers[column].value(selected[i]) }

  public var rows: [[Value]] { selected.map { r in readers.map { $0.value(r) } } }

  /// Row `i`'s `column` as stored bytes (nil for a null or a non-text column), for the duration
  /// of `body`.
  @inline(__always)
  public func withBytes<R>(_ i: Int, _ column: Int, _ body: (UnsafeRawBufferPointer?) -> R) -> R {
    readers[column].withBytes(selected[i], body)
  }

  /// Row `i`'s `column` as an integer (timestamps in microseconds); nil for a null.
  @inline(__always)
  public func integer(_ i: Int, _ column: Int) -> Int64? {
    switch readers[column].value(selected[i]) {
    case .int(let v), .timestamp(let v), .date(let v): return v
    default: return nil
    }
  }

  /// A 64-bit hash of row `i`'s `column` computed from its stored bytes, without making a value;
  /// `percentDecoded` hashes text as if %XX escapes were decoded. Nulls hash to 0.
  @inline(__always)
  public func hash(_ i: Int, _ column: Int, percentDecoded: Bool = false) -> UInt64 {
    readers[column].hash(selected[i], percentDecoded: percentDecoded)
  }
}

/// FNV-1a, byte by byte: for grouping keys inside one process, not for storage.
public enum RowHash {
  @inline(__always)
  public static func bytes(_ b: UnsafeRawBufferPointer, percentDecoded: Bool = false) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    var i = 0
    while i < b.count {
      var c = b[i]
      if percentDecoded, c == 0x25, i + 2 < b.count, let hi = PercentDecoding.hexValue(b[i + 1]),
        let lo = PercentDecoding.hexValue(b[i + 2])
      {
        c = hi << 4 | lo
        i += 2
      }
      h = (h ^ UInt64(c)) &* 0x0000_0100_0000_01b3
      i += 1
    }
    return h | 1
  }

  @inline(__always)
  public static func integer(_ v: Int64) -> UInt64 {
    var x = UInt64(bitPattern: v) &+ 0x9E37_79B9_7F4A_7C15
    x = (x ^ (x >> 30)) &* 0xBF58_476D_1CE4_E5B9
    x = (x ^ (x >> 27)) &* 0x94D0_49BB_1331_11EB
    return (x ^ (x >> 31)) | 1
  }

  public static func combine(_ a: UInt64, _ b: UInt64) -> UInt64 {
    (a ^ (b &+ 0x9E37_79B9_7F4A_7C15 &+ (a << 6) &+ (a >> 2)))
  }
}

/// Turns a decoded column's cells into values of the column's kind. A dictionary-coded column's
/// strings are made once per dictionary entry, not once per row.
struct ValueReader {
  let column: DecodedColumn
  let leaf: LeafColumn
  private let entries: [Value]

  init(_ column: DecodedColumn, _ leaf: LeafColumn) {
    self.column = column
    self.leaf = leaf
    if case .dictionary(let d, _, _) = column {
      entries = d.bytes.withUnsafeBytes { raw in
        (0..<d.count).map {
          .string(String(decoding: UnsafeRawBufferPointer(rebasing: raw[d.range($0)]), as: UTF8.self))
        }
      }
    } else {
      entries = []
    }
  }

  func withBytes<R>(_ r: Int, _ body: (UnsafeRawBufferPointer?) -> R) -> R {
    switch column {
    case .dictionary(let d, let codes, let nulls):
      if nulls[r] { return body(nil) }
      return d.bytes.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[d.range(Int(codes[r]))])) }
    case .values(.byteArray(let b)):
      if b.isNull[r] { return body(nil) }
      return b.bytes.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[b.range(r)])) }
    default:
      return body(nil)
    }
  }

  func hash(_ r: Int, percentDecoded: Bool) -> UInt64 {
    switch column {
    case .dictionary(let d, let codes, let nulls):
      if nulls[r] { return 0 }
      return d.bytes.withUnsafeBytes {
        RowHash.bytes(UnsafeRawBufferPointer(rebasing: $0[d.range(Int(codes[r]))]), percentDecoded: percentDecoded)
      }
    case .values(let v):
      if v.isNull(r) { return 0 }
      switch v {
      case .byteArray(let b):
        return b.bytes.withUnsafeBytes {
          RowHash.bytes(UnsafeRawBufferPointer(rebasing: $0[b.range(r)]), percentDecoded: percentDecoded)
        }
      case .int64(let x, _): return RowHash.integer(x[r])
      case .int32(let x, _): return RowHash.integer(Int64(x[r]))
      case .boolean(let x, _): return x[r] ? 3 : 5
      case .double(let x, _): return RowHash.integer(Int64(bitPattern: x[r].bitPattern))
      }
    }
  }

  func value(_ r: Int) -> Value {
    switch column {
    case .dictionary(_, let codes, let nulls):
      return nulls[r] ? .null : entries[Int(codes[r])]
    case .values(let v):
      if v.isNull(r) { return .null }
      switch v {
      case .byteArray(let b):
        return b.bytes.withUnsafeBytes {
          .string(String(decoding: UnsafeRawBufferPointer(rebasing: $0[b.range(r)]), as: UTF8.self))
        }
      case .boolean(let x, _): return .bool(x[r])
      case .double(let x, _): return .double(x[r])
      case .int32(let x, _): return typed(Int64(x[r]))
      case .int64(let x, _): return typed(x[r])
      }
    }
  }

  private func typed(_ v: Int64) -> Value {
    switch leaf.kind {
    case .timestamp(let units):
      return .timestamp(units == 1_000_000 ? v : units == 1000 ? v &* 1000 : v / 1000)
    case .date: return .date(v)
    default: return .int(v)
    }
  }
}
