#if canImport(Glibc)
  import Glibc
#endif

/// One fixed-width column of a batch being filled (times, sizes, flags), in memory it owns, for
/// the same reasons as `TextBuilder`: an append is a capacity check and two stores, where two
/// `Array.append`s paid two uniqueness checks and the array of columns a third.
struct FixedBuilder<Value: BitwiseCopyable> {
  private var values: UnsafeMutablePointer<Value>?
  private var isNull: UnsafeMutablePointer<Bool>?
  private(set) var count = 0
  private var capacity = 0

  func release() {
    free(values)
    free(isNull)
  }

  /// `value` is stored as given for a null too (zero by convention), so row `i` is at `i`.
  @inline(__always)
  mutating func append(_ value: Value, null: Bool) {
    if count == capacity { grow() }
    values![count] = value
    isNull![count] = null
    count += 1
  }

  @inline(never)
  private mutating func grow() {
    let grown = max(capacity * 2, 1024)
    guard let v = realloc(values, grown * MemoryLayout<Value>.stride), let n = realloc(isNull, grown) else {
      fatalError("out of memory")
    }
    values = v.assumingMemoryBound(to: Value.self)
    isNull = n.assumingMemoryBound(to: Bool.self)
    capacity = grown
  }

  /// The values and null flags as the Parquet writer reads them, valid until the next append or
  /// `removeAll`.
  func view() -> (values: UnsafeBufferPointer<Value>, isNull: UnsafeBufferPointer<Bool>) {
    (UnsafeBufferPointer(start: values, count: count), UnsafeBufferPointer(start: isNull, count: count))
  }

  var allocatedBytes: Int { capacity * (MemoryLayout<Value>.stride + 1) }

  /// Empties the column, keeping its memory.
  mutating func removeAll() { count = 0 }
}

/// Builders of one batch at fixed addresses, freed with the batch (see `TextBuilders`).
final class FixedBuilders<Value: BitwiseCopyable> {
  let columns: UnsafeMutablePointer<FixedBuilder<Value>>
  let count: Int

  init(count: Int) {
    self.count = count
    columns = .allocate(capacity: max(count, 1))
    columns.initialize(repeating: FixedBuilder(), count: count)
  }

  deinit {
    for i in 0..<count { columns[i].release() }
    columns.deinitialize(count: count)
    columns.deallocate()
  }
}
