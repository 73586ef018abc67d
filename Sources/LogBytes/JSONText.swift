/// What JSON strings treat specially: the quote, the backslash and control characters, the
/// bytes a scanner stops at inside a string and a writer must escape.
public enum JSONText {
  /// Offset of the first byte at or after `start` that is `"`, `\` or a control character;
  /// `bytes.count` if there is none. Eight bytes at a time: text is mostly long ordinary runs.
  @inlinable @inline(__always)
  public static func firstSpecial(in bytes: UnsafeRawBufferPointer, from start: Int) -> Int {
    var i = start
    let n = bytes.count
    let ones: UInt64 = 0x0101_0101_0101_0101
    let highs: UInt64 = 0x8080_8080_8080_8080
    let quote = ByteSearch.splat(0x22)
    let backslash = ByteSearch.splat(0x5C)
    while i + 8 <= n {
      let w = bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self)
      // Below 0x20: the same borrow test as `ByteSearch.matches`, against 0x20 without the XOR.
      let hasControl = (w &- (ones &* 0x20)) & ~w & highs
      let found = ByteSearch.matches(w, quote) | ByteSearch.matches(w, backslash) | hasControl
      // A borrow can mark bytes above the first match of each test, never below it: the lowest
      // mark of the three is exact.
      if found != 0 { return i + found.trailingZeroBitCount >> 3 }
      i += 8
    }
    while i < n {
      let c = bytes[i]
      if c == 0x22 || c == 0x5C || c < 0x20 { return i }
      i += 1
    }
    return n
  }
}
