import LogBytes
import Parquet
import Presign

#if canImport(Glibc)
  import Glibc
#endif

/// One text column of a batch being filled, in memory it owns: appending a value is a capacity
/// check, a copy and an append to `rows`.
///
/// A row appends to some forty text columns. Through `[UInt8]`, `[UInt32]` and `[Bool]`, each
/// value paid three uniqueness checks, the generic `append(contentsOf:)` and a `memmove` call:
/// a sixth of an access-log run. The Parquet writer reads the column where it is (`view()`).
///
/// The builder lives behind a pointer (see `TextBuilders`), so that the row loop reaches it
/// without reference counting, a uniqueness check or a run-time exclusivity check.
struct TextBuilder {
  private var bytes: UnsafeMutablePointer<UInt8>?
  private(set) var byteCount = 0
  private var byteCapacity = 0
  /// Where each row's value ends in `bytes`, and whether it is null.
  private var rows = FixedBuilder<UInt32>()
  /// For values that need repair: sanitized here, then appended.
  private var sanitized: [UInt8] = []
  /// Set, for the whole batch, once a column reserves `limit` bytes: offsets are 32-bit, so the
  /// batch is written long before another row could bring a column near 4 GiB. Checked where
  /// memory grows, which is rare, and read once per row by the batch's writer.
  private let full: UnsafeMutablePointer<Bool>
  private let limit: Int

  init(full: UnsafeMutablePointer<Bool>, limit: Int) {
    self.full = full
    self.limit = limit
  }

  var count: Int { rows.count }

  func release() {
    free(bytes)
    rows.release()
  }

  /// Appends a copy of `value` as it is (the caller knows it is valid UTF-8).
  @inline(__always)
  mutating func append(_ value: UnsafeRawBufferPointer) {
    let n = value.count
    if byteCount + n > byteCapacity { growBytes(for: n) }
    let at = byteCount
    if n > 0 { Self.copy(value.baseAddress!, to: UnsafeMutableRawPointer(bytes! + at), n) }
    endRow(byteCount: at + n, null: false)
  }

  /// Short values (most fields) in one or two overlapping word moves, which never read past
  /// `source`'s end; long ones through `memcpy`.
  @inline(__always)
  static func copy(_ source: UnsafeRawPointer, to destination: UnsafeMutableRawPointer, _ n: Int) {
    if n >= 8 && n <= 16 {
      let head = source.loadUnaligned(as: UInt64.self)
      let tail = source.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
      destination.storeBytes(of: head, as: UInt64.self)
      destination.storeBytes(of: tail, toByteOffset: n - 8, as: UInt64.self)
    } else if n > 16 && n <= 32 {
      let head = source.loadUnaligned(as: SIMD16<UInt8>.self)
      let tail = source.loadUnaligned(fromByteOffset: n - 16, as: SIMD16<UInt8>.self)
      destination.storeBytes(of: head, as: SIMD16<UInt8>.self)
      destination.storeBytes(of: tail, toByteOffset: n - 16, as: SIMD16<UInt8>.self)
    } else if n < 8 {
      var i = 0
      while i < n {
        destination.storeBytes(of: source.load(fromByteOffset: i, as: UInt8.self), toByteOffset: i, as: UInt8.self)
        i += 1
      }
    } else {
      memcpy(destination, source, n)
    }
  }

  /// Appends `value`, made valid UTF-8 unless `ascii` says the caller checked a text that holds it.
  @inline(__always)
  mutating func appendText(_ value: UnsafeRawBufferPointer, ascii: Bool) {
    if ascii || UTF8Sanitizer.isASCII(value) {
      append(value)
    } else {
      var repaired = sanitized
      sanitized = []
      repaired.removeAll(keepingCapacity: true)
      UTF8Sanitizer.appendSanitized(value, to: &repaired)
      repaired.withUnsafeBytes { append($0) }
      sanitized = repaired
    }
  }

  @inline(__always)
  mutating func appendNull() {
    endRow(byteCount: byteCount, null: true)
  }

  @inline(__always)
  private mutating func endRow(byteCount newCount: Int, null: Bool) {
    // Unreachable: a batch is written once a column reserves `limit` bytes, far below 4 GiB.
    precondition(newCount <= Int(UInt32.max), "text column past 4 GiB")
    rows.append(UInt32(truncatingIfNeeded: newCount), null: null)
    byteCount = newCount
  }

  @inline(never)
  private mutating func growBytes(for n: Int) {
    let capacity = max(byteCount + n, byteCapacity * 2, 4096)
    if capacity >= limit { full.pointee = true }
    guard let grown = realloc(bytes, capacity) else { fatalError("out of memory") }
    bytes = grown.assumingMemoryBound(to: UInt8.self)
    byteCapacity = capacity
  }

  /// The value of `row`; valid until the next append.
  @inline(__always)
  func value(_ row: Int) -> UnsafeRawBufferPointer { view().value(row) }

  /// The column as the Parquet writer reads it, valid until the next append or `removeAll`.
  func view() -> ByteArrayView {
    let r = rows.view()
    return ByteArrayView(
      bytes: UnsafeRawBufferPointer(start: bytes, count: byteCount), ends: r.values, isNull: r.isNull)
  }

  /// Bytes held.
  var allocatedBytes: Int { byteCapacity + rows.allocatedBytes + sanitized.capacity }

  /// Empties the column, keeping its memory.
  mutating func removeAll() {
    byteCount = 0
    rows.removeAll()
  }
}

/// The text builders of one batch, each at a fixed address for as long as the batch lives.
/// Shared by copies of the batch: only one copy may be used.
final class TextBuilders {
  let columns: UnsafeMutablePointer<TextBuilder>
  let count: Int
  /// Whether a column has passed the byte limit (see `TextBuilder`).
  let full: UnsafeMutablePointer<Bool>
  /// Every value passes through it before it is stored (see `ColumnSet.appendText`).
  let scrubber: UnsafeMutablePointer<SecretScrubber>

  init(count: Int, byteLimit: Int = 1 << 30) {
    self.count = count
    scrubber = .allocate(capacity: 1)
    scrubber.initialize(to: SecretScrubber())
    full = .allocate(capacity: 1)
    full.initialize(to: false)
    columns = .allocate(capacity: max(count, 1))
    for i in 0..<count { (columns + i).initialize(to: TextBuilder(full: full, limit: byteLimit)) }
  }

  deinit {
    for i in 0..<count { columns[i].release() }
    columns.deinitialize(count: count)
    columns.deallocate()
    full.deallocate()
    scrubber.deinitialize(count: 1)
    scrubber.deallocate()
  }
}
