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
  /// Where files opened by earlier scans of the same run are kept, if anywhere.
  public var cache: ParquetFileCache?

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
    let cache = request.cache
    DispatchQueue.concurrentPerform(iterations: paths.count) { i in
      let result: Result<ParquetFile, ParquetError>
      do throws(ParquetError) {
        if let cache {
          result = .success(try cache.open(paths[i]))
        } else {
          result = .success(try ParquetFile(path: paths[i]))
        }
      } catch {
        result = .failure(error)
      }
      opened.withLock { $0[i] = result }
    }
    struct Task: Sendable {
      var file: ParquetFile
      var group: Int
      var filter: Filter
      var output: [Int]
    }
    var tasks: [Task] = []
    let files = opened.withLock { $0 }
    // Shards of one table share a schema: compile the filter once per distinct schema.
    var compiledBySchema: [[String]: Filter] = [:]
    for i in 0..<candidates.count {
      let file = try files[i]!.get()
      let m = file.metadata
      let names = m.columns.map(\.name)
      let filter: Filter
      if let known = compiledBySchema[names] {
        filter = known
      } else {
        filter = Filter(try CompiledPredicate.compile(predicate, metadata: m, now: request.now))
        compiledBySchema[names] = filter
      }
      let output = try request.columns.map { name in
        guard let c = m.columnIndex(named: name) else { throw QueryError("\(file.path): no column '\(name)'") }
        return c
      }
      // Pruning happens on the workers: probing bloom filters for a long `in` list is work too.
      for g in 0..<m.rowGroups.count {
        stats.rowGroups += 1
        tasks.append(Task(file: file, group: g, filter: filter, output: output))
      }
    }
    let shared = Mutex((stats: ScanStatistics(), error: ParquetError?.none))
    let next = Mutex(0)
    let plan = tasks
    DispatchQueue.concurrentPerform(iterations: max(1, min(request.threads, plan.count))) { worker in
      while true {
        let k = next.withLock { n in
          defer { n += 1 }
          return n
        }
        guard k < plan.count, shared.withLock({ $0.error == nil }) else { return }
        let task = plan[k]
        do throws(ParquetError) {
          var local = ScanStatistics()
          switch Pruning.verdict(task.filter.predicate, file: task.file, group: task.group) {
          case .read: local = try readGroup(task.file, task.group, task.filter, task.output, worker, onRows)
          case .skipByStatistics: local.rowGroupsSkippedByStatistics = 1
          case .skipByBloomFilter: local.rowGroupsSkippedByBloomFilter = 1
          }
          shared.withLock { [local] in $0.stats.add(local) }
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

  /// A compiled filter with what it reads, worked out once per schema rather than per row group.
  struct Filter: Sendable {
    let predicate: CompiledPredicate
    let columns: Set<Int>
    let nullTested: Set<Int>

    init(_ predicate: CompiledPredicate) {
      self.predicate = predicate
      columns = predicate.columns
      nullTested = predicate.nullTestedColumns
    }
  }

  private static func readGroup(
    _ file: ParquetFile, _ g: Int, _ filter: Filter, _ output: [Int], _ worker: Int,
    _ onRows: (RowBatch) -> Void
  ) throws(ParquetError) -> ScanStatistics {
    var s = ScanStatistics()
    let m = file.metadata
    let rows = Int(m.rowGroups[g].rows)
    s.rowGroupsRead = 1
    s.rowsRead = Int64(rows)
    var columns: [Int: DecodedColumn] = [:]
    for c in filter.columns {
      columns[c] =
        try filter.nullTested.contains(c)
        ? file.readNulls(rowGroup: g, column: c) : file.read(rowGroup: g, column: c)
      s.bytesRead += m.rowGroups[g].columns[c].compressedBytes
    }
    let mask = Evaluation.mask(filter.predicate, columns: columns, rows: rows)
    // Columns read for their nulls only hold no values: the batch decodes them again if asked.
    for c in filter.nullTested { columns[c] = nil }
    let selected = (0..<rows).filter { mask[$0] }
    s.rowsMatched = Int64(selected.count)
    guard !selected.isEmpty else { return s }
    let batch = RowBatch(file: file, group: g, output: output, decoded: columns, selected: selected, worker: worker)
    onRows(batch)
    if let error = batch.error { throw error }
    s.bytesRead += batch.bytesRead
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
///
/// Output columns the filter did not need are decoded the first time a cell of theirs is read
/// (late materialization): a consumer that drops a batch's rows after looking at one or two
/// columns never pays for the others. A column that turns out corrupt reads as nulls and the
/// scan then fails with its error, so nothing built from those nulls is ever returned.
///
/// Its caches are filled lazily by the one thread that holds the batch, so their runtime
/// exclusivity checks (a few percent of a scan, once per cell) are turned off.
public final class RowBatch {
  private let file: ParquetFile
  private let group: Int
  private let output: [Int]
  @exclusivity(unchecked) private var readers: [ValueReader?]
  @exclusivity(unchecked) private var decoded: [Int: DecodedColumn]
  let selected: [Int]
  /// Which of the scan's threads delivers this batch (0..<threads): lets a consumer keep one
  /// uncontended accumulator per thread.
  public let worker: Int
  private(set) var error: ParquetError?
  private(set) var bytesRead: Int64 = 0

  init(file: ParquetFile, group: Int, output: [Int], decoded: [Int: DecodedColumn], selected: [Int], worker: Int) {
    self.file = file
    self.group = group
    self.output = output
    self.decoded = decoded
    self.selected = selected
    self.worker = worker
    readers = Array(repeating: nil, count: output.count)
  }

  public var count: Int { selected.count }

  /// The file the batch's rows are in.
  public var path: String { file.path }

  @inline(__always)
  fileprivate func reader(_ column: Int) -> ValueReader {
    if let r = readers[column] { return r }
    return load(column)
  }

  private func load(_ column: Int) -> ValueReader {
    let c = output[column]
    let leaf = file.metadata.columns[c]
    var data = decoded[c]
    if data == nil {
      do throws(ParquetError) {
        data = try file.read(rowGroup: group, column: c)
        bytesRead += file.metadata.rowGroups[group].columns[c].compressedBytes
      } catch {
        if self.error == nil { self.error = error }
        let rows = Int(file.metadata.rowGroups[group].rows)
        data = .values(.int64(values: Array(repeating: 0, count: rows), isNull: Array(repeating: true, count: rows)))
      }
      decoded[c] = data
    }
    let r = ValueReader(data!, leaf)
    readers[column] = r
    return r
  }

  @inline(__always)
  public func value(_ i: Int, _ column: Int) -> Value { reader(column).value(selected[i]) }

  public var rows: [[Value]] {
    let all = readers.indices.map { reader($0) }
    return selected.map { r in all.map { $0.value(r) } }
  }

  /// Row `i`'s `column` as stored bytes (nil for a null or a non-text column), for the duration
  /// of `body`.
  @inline(__always)
  public func withBytes<R>(_ i: Int, _ column: Int, _ body: (UnsafeRawBufferPointer?) -> R) -> R {
    reader(column).withBytes(selected[i], body)
  }

  /// Row `i`'s `column` as an integer (timestamps in microseconds); nil for a null.
  @inline(__always)
  public func integer(_ i: Int, _ column: Int) -> Int64? { reader(column).integer(selected[i]) }

  /// A 64-bit hash of row `i`'s `column` computed from its stored bytes, without making a value;
  /// `percentDecoded` hashes text as if %XX escapes were decoded. Nulls hash to 0.
  @inline(__always)
  public func hash(_ i: Int, _ column: Int, percentDecoded: Bool = false) -> UInt64 {
    reader(column).hash(selected[i], percentDecoded: percentDecoded)
  }
}

extension RowBatch {
  /// `hash(i, column, percentDecoded:)` of every row of the batch, in one pass over the column.
  public func hashes(_ column: Int, percentDecoded: Bool = false) -> [UInt64] {
    reader(column).hashes(selected, percentDecoded: percentDecoded)
  }
}

/// 64-bit hashes for grouping keys inside one process, not for storage: XXH64 over the stored
/// bytes (eight at a time; byte-at-a-time FNV-1a was a fifth of a hunt's time).
public enum RowHash {
  /// `percentDecoded` hashes the bytes as if each valid %XX escape were the byte it stands for,
  /// so an access log's encoded key and CloudTrail's plain key hash the same. Never 0.
  @inline(__always)
  public static func bytes(_ b: UnsafeRawBufferPointer, percentDecoded: Bool = false) -> UInt64 {
    guard percentDecoded, b.contains(0x25) else { return XXHash64.hash(b) | 1 }
    var decoded: [UInt8] = []
    decoded.reserveCapacity(b.count)
    PercentDecoding.decode(b, appendingTo: &decoded)
    return decoded.withUnsafeBytes { XXHash64.hash($0) } | 1
  }

  /// `bytes` of a string's UTF-8: what a column holding the same text hashes to.
  public static func text(_ s: String) -> UInt64 {
    var s = s
    return s.withUTF8 { bytes(UnsafeRawBufferPointer($0)) }
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
/// strings and hashes are made once per dictionary entry (when first asked for), not once per
/// row. A class: a batch hands out its readers once per cell, and a struct of enums and arrays
/// would be copied (retained) each time; the column's arrays are unpacked once, for the same reason.
final class ValueReader {
  // The lazily made strings and hashes below belong to one thread (see `RowBatch`).
  private enum Kind {
    case dictionary, bytes, boolean, int32, int64, double
  }

  private let kind: Kind
  let leaf: LeafColumn
  private let nulls: [Bool]
  /// Dictionary entries (`.dictionary`) or row values (`.bytes`).
  private let strings: ByteArrayValues
  private let codes: [UInt32]
  private let int64s: [Int64]
  private let int32s: [Int32]
  private let booleans: [Bool]
  private let doubles: [Double]
  /// Dictionary entries as values, made on first use each: a batch often reads a few entries of
  /// a large dictionary.
  @exclusivity(unchecked) private var entries: [Value?] = []
  @exclusivity(unchecked) private var entryHashes: [UInt64]?
  @exclusivity(unchecked) private var decodedEntryHashes: [UInt64]?

  init(_ column: DecodedColumn, _ leaf: LeafColumn) {
    self.leaf = leaf
    var strings = ByteArrayValues()
    var codes: [UInt32] = []
    var int64s: [Int64] = []
    var int32s: [Int32] = []
    var booleans: [Bool] = []
    var doubles: [Double] = []
    switch column {
    case .dictionary(let d, let c, let isNull):
      (kind, strings, codes, nulls) = (.dictionary, d, c, isNull)
    case .values(.byteArray(let b)):
      (kind, strings, nulls) = (.bytes, b, b.isNull)
    case .values(.boolean(let v, let isNull)):
      (kind, booleans, nulls) = (.boolean, v, isNull)
    case .values(.int32(let v, let isNull)):
      (kind, int32s, nulls) = (.int32, v, isNull)
    case .values(.int64(let v, let isNull)):
      (kind, int64s, nulls) = (.int64, v, isNull)
    case .values(.double(let v, let isNull)):
      (kind, doubles, nulls) = (.double, v, isNull)
    }
    self.strings = strings
    self.codes = codes
    self.int64s = int64s
    self.int32s = int32s
    self.booleans = booleans
    self.doubles = doubles
  }

  @inline(__always)
  private func stringIndex(_ r: Int) -> Int { kind == .dictionary ? Int(codes[r]) : r }

  func withBytes<R>(_ r: Int, _ body: (UnsafeRawBufferPointer?) -> R) -> R {
    guard kind == .dictionary || kind == .bytes, !nulls[r] else { return body(nil) }
    let range = strings.range(stringIndex(r))
    return strings.bytes.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[range])) }
  }

  func hash(_ r: Int, percentDecoded: Bool) -> UInt64 {
    if nulls[r] { return 0 }
    switch kind {
    case .dictionary:
      let code = Int(codes[r])
      if percentDecoded {
        if decodedEntryHashes == nil { decodedEntryHashes = entryHashes(percentDecoded: true) }
        return decodedEntryHashes![code]
      }
      if entryHashes == nil { entryHashes = entryHashes(percentDecoded: false) }
      return entryHashes![code]
    case .bytes:
      let range = strings.range(r)
      return strings.bytes.withUnsafeBytes {
        RowHash.bytes(UnsafeRawBufferPointer(rebasing: $0[range]), percentDecoded: percentDecoded)
      }
    case .int64: return RowHash.integer(int64s[r])
    case .int32: return RowHash.integer(Int64(int32s[r]))
    case .boolean: return booleans[r] ? 3 : 5
    case .double: return RowHash.integer(Int64(bitPattern: doubles[r].bitPattern))
    }
  }

  /// `hash(r, percentDecoded:)` for each of `rows`, with the column's arrays held once
  /// rather than looked up per row.
  func hashes(_ rows: [Int], percentDecoded: Bool) -> [UInt64] {
    switch kind {
    case .dictionary:
      if percentDecoded && decodedEntryHashes == nil { decodedEntryHashes = entryHashes(percentDecoded: true) }
      if !percentDecoded && entryHashes == nil { entryHashes = entryHashes(percentDecoded: false) }
      let table = (percentDecoded ? decodedEntryHashes : entryHashes)!
      return table.withUnsafeBufferPointer { t in
        codes.withUnsafeBufferPointer { c in
          nulls.withUnsafeBufferPointer { n in rows.map { n[$0] ? 0 : t[Int(c[$0])] } }
        }
      }
    case .bytes:
      return strings.bytes.withUnsafeBytes { raw in
        nulls.withUnsafeBufferPointer { n in
          rows.map { r in
            n[r]
              ? 0
              : RowHash.bytes(UnsafeRawBufferPointer(rebasing: raw[strings.range(r)]), percentDecoded: percentDecoded)
          }
        }
      }
    default:
      return rows.map { hash($0, percentDecoded: percentDecoded) }
    }
  }

  private func entryHashes(percentDecoded: Bool) -> [UInt64] {
    strings.bytes.withUnsafeBytes { raw in
      (0..<strings.count).map {
        RowHash.bytes(UnsafeRawBufferPointer(rebasing: raw[strings.range($0)]), percentDecoded: percentDecoded)
      }
    }
  }

  func value(_ r: Int) -> Value {
    if nulls[r] { return .null }
    switch kind {
    case .dictionary:
      let code = Int(codes[r])
      if entries.isEmpty { entries = Array(repeating: nil, count: strings.count) }
      if let v = entries[code] { return v }
      let range = strings.range(code)
      let v = strings.bytes.withUnsafeBytes {
        Value.string(String(decoding: UnsafeRawBufferPointer(rebasing: $0[range]), as: UTF8.self))
      }
      entries[code] = v
      return v
    case .bytes:
      let range = strings.range(r)
      return strings.bytes.withUnsafeBytes {
        .string(String(decoding: UnsafeRawBufferPointer(rebasing: $0[range]), as: UTF8.self))
      }
    case .boolean: return .bool(booleans[r])
    case .double: return .double(doubles[r])
    case .int32: return typed(Int64(int32s[r]))
    case .int64: return typed(int64s[r])
    }
  }

  /// Cell `r` as an integer (timestamps in microseconds) without making a value; nil for a null
  /// or a non-integer column.
  func integer(_ r: Int) -> Int64? {
    if nulls[r] { return nil }
    switch kind {
    case .int32: return typedInteger(Int64(int32s[r]))
    case .int64: return typedInteger(int64s[r])
    default: return nil
    }
  }

  private func typedInteger(_ v: Int64) -> Int64 {
    if case .timestamp(let units) = leaf.kind {
      return units == 1_000_000 ? v : units == 1000 ? v &* 1000 : v / 1000
    }
    return v
  }

  private func typed(_ v: Int64) -> Value {
    switch leaf.kind {
    case .timestamp: return .timestamp(typedInteger(v))
    case .date: return .date(v)
    default: return .int(v)
    }
  }
}
