internal import CByteScan

#if canImport(Glibc)
  import Glibc
#endif

/// Finding one byte value in a line: the tokenizer's inner loops.
public enum ByteSearch {
  /// Offset of the first `byte` in `bytes[from..<end]`, or `end`. Eight bytes a step, for the
  /// short runs between separators (tokens of 3 to 80 bytes), where calling `memchr` costs
  /// about what it saves.
  @inlinable @inline(__always)
  public static func first(_ byte: UInt8, in bytes: UnsafeRawBufferPointer, from: Int, end: Int) -> Int {
    let pattern = splat(byte)
    var i = from
    while i + 8 <= end {
      let found = matches(bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self), pattern)
      if found != 0 { return i + found.trailingZeroBitCount >> 3 }
      i += 8
    }
    while i < end && bytes[i] != byte { i += 1 }
    return i
  }

  /// Offset of the first `a` or `b` in `bytes[from...]`, or the end. Eight bytes a step.
  @inlinable @inline(__always)
  public static func first(_ a: UInt8, or b: UInt8, in bytes: UnsafeRawBufferPointer, from: Int) -> Int {
    let n = bytes.count
    let (pa, pb) = (splat(a), splat(b))
    var i = from
    while i + 8 <= n {
      let w = bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self)
      let hit = matches(w, pa) | matches(w, pb)
      if hit != 0 { return i + hit.trailingZeroBitCount >> 3 }
      i += 8
    }
    while i < n && bytes[i] != a && bytes[i] != b { i += 1 }
    return i
  }

  /// `byte` in every byte of a word.
  @inlinable @inline(__always)
  public static func splat(_ byte: UInt8) -> UInt64 { 0x0101_0101_0101_0101 &* UInt64(byte) }

  /// The high bit of each byte of `word` equal to the byte `pattern` repeats (see `splat`). A
  /// borrow can mark bytes above the first match, never below it: the lowest mark is exact, and
  /// so is the lowest mark of several such masks ORed together.
  @inlinable @inline(__always)
  public static func matches(_ word: UInt64, _ pattern: UInt64) -> UInt64 {
    let ones: UInt64 = 0x0101_0101_0101_0101
    let w = word ^ pattern
    return (w &- ones) & ~w & (ones &* 0x80)
  }

  /// Offset of the first `byte` in `bytes[from..<end]`, or `end`, through the C library's
  /// vectorized `memchr`: for long fields (a presigned Request-URI runs to 500 bytes and more).
  @inlinable @inline(__always)
  public static func firstInLongRun(_ byte: UInt8, in bytes: UnsafeRawBufferPointer, from: Int, end: Int) -> Int {
    guard from < end, let base = bytes.baseAddress else { return max(from, end) }
    guard let hit = memchr(base + from, Int32(byte), end - from) else { return end }
    return base.distance(to: UnsafeRawPointer(hit))
  }

  /// Offset of the last `byte` in `bytes[from..<end]`, or nil. Eight bytes a step from the end.
  @inlinable @inline(__always)
  public static func last(_ byte: UInt8, in bytes: UnsafeRawBufferPointer, from: Int, end: Int) -> Int? {
    let lows: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
    let pattern = 0x0101_0101_0101_0101 &* UInt64(byte)
    var i = end
    while i - 8 >= from {
      let w = bytes.loadUnaligned(fromByteOffset: i - 8, as: UInt64.self) ^ pattern
      // Exact, with no borrow between bytes: the high bit is set for each byte that matched.
      let found = ~(((w & lows) &+ lows) | w | lows)
      if found != 0 { return i - 8 + (63 - found.leadingZeroBitCount) >> 3 }
      i -= 8
    }
    while i > from {
      i -= 1
      if bytes[i] == byte { return i }
    }
    return nil
  }

  /// Whether `bytes` holds any of four byte values: sixteen bytes a step (every stored text
  /// value is checked for the bytes a secret needs).
  public static func containsAny(
    _ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8, in bytes: UnsafeRawBufferPointer
  ) -> Bool {
    guard let base = bytes.baseAddress else { return false }
    return sigtrail_has_any_of4(base, bytes.count, a, b, c, d) != 0
  }
}
