/// Makes log bytes safe for Parquet STRING columns, which must hold valid UTF-8 (DuckDB refuses to
/// scan a file that does not). Valid UTF-8 passes through untouched; every byte that is not part
/// of a valid sequence becomes U+FFFD. The original bytes stay reachable through the row's
/// `source_file` and `source_offset`.
public enum UTF8Sanitizer {
  public static let replacement: [UInt8] = [0xEF, 0xBF, 0xBD]

  /// True when every byte is ASCII: the common case, checked eight bytes at a time.
  @inline(__always)
  public static func isASCII(_ b: UnsafeRawBufferPointer) -> Bool {
    var i = 0
    let n = b.count
    let highs: UInt64 = 0x8080_8080_8080_8080
    // Four words a step with one test: a log line is 300 to 1,000 bytes of ASCII.
    while i + 32 <= n {
      let w =
        b.loadUnaligned(fromByteOffset: i, as: UInt64.self) | b.loadUnaligned(fromByteOffset: i + 8, as: UInt64.self)
        | b.loadUnaligned(fromByteOffset: i + 16, as: UInt64.self)
        | b.loadUnaligned(fromByteOffset: i + 24, as: UInt64.self)
      if w & highs != 0 { return false }
      i += 32
    }
    while i + 8 <= n {
      if b.loadUnaligned(fromByteOffset: i, as: UInt64.self) & highs != 0 { return false }
      i += 8
    }
    while i < n {
      if b[i] >= 0x80 { return false }
      i += 1
    }
    return true
  }

  /// Length of the valid UTF-8 sequence starting at `i`, or 0 if the byte there starts none.
  @inline(__always)
  static func sequenceLength(_ b: UnsafeRawBufferPointer, _ i: Int) -> Int {
    let n = b.count
    let c0 = b[i]
    if c0 < 0x80 { return 1 }
    func cont(_ k: Int) -> Bool { i + k < n && b[i + k] & 0xC0 == 0x80 }
    switch c0 {
    case 0xC2...0xDF:
      return cont(1) ? 2 : 0
    case 0xE0:
      return i + 1 < n && b[i + 1] >= 0xA0 && b[i + 1] <= 0xBF && cont(2) ? 3 : 0
    case 0xE1...0xEC, 0xEE...0xEF:
      return cont(1) && cont(2) ? 3 : 0
    case 0xED:
      return i + 1 < n && b[i + 1] >= 0x80 && b[i + 1] <= 0x9F && cont(2) ? 3 : 0
    case 0xF0:
      return i + 1 < n && b[i + 1] >= 0x90 && b[i + 1] <= 0xBF && cont(2) && cont(3) ? 4 : 0
    case 0xF1...0xF3:
      return cont(1) && cont(2) && cont(3) ? 4 : 0
    case 0xF4:
      return i + 1 < n && b[i + 1] >= 0x80 && b[i + 1] <= 0x8F && cont(2) && cont(3) ? 4 : 0
    default:
      return 0
    }
  }

  public static func isValid(_ b: UnsafeRawBufferPointer) -> Bool {
    if isASCII(b) { return true }
    var i = 0
    while i < b.count {
      let len = sequenceLength(b, i)
      if len == 0 { return false }
      i += len
    }
    return true
  }

  /// Appends `b` to `out` with each invalid byte replaced by U+FFFD: valid runs are copied
  /// whole (ASCII skipped eight bytes at a time), not character by character.
  public static func appendSanitized(_ b: UnsafeRawBufferPointer, to out: inout [UInt8]) {
    let n = b.count
    var runStart = 0
    var i = 0
    while i < n {
      if i + 8 <= n && b.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
        i += 8
        continue
      }
      let len = sequenceLength(b, i)
      if len > 0 {
        i += len
        continue
      }
      out.append(contentsOf: UnsafeRawBufferPointer(rebasing: b[runStart..<i]))
      out.append(contentsOf: replacement)
      i += 1
      runStart = i
    }
    out.append(contentsOf: UnsafeRawBufferPointer(rebasing: b[runStart..<n]))
  }
}
