#if canImport(Glibc)
  import Glibc
#endif

/// `%XX` decoding of URL components. `+` is left alone: S3 and the SigV4 canonical form encode
/// spaces as `%20`, and a raw `+` in a signed value is literal.
public enum PercentDecoding {
  /// The value of one hexadecimal digit. Inlinable: the secret scrubber tests digits of every
  /// escape it meets.
  @inlinable @inline(__always)
  public static func hexValue(_ b: UInt8) -> UInt8? {
    switch b {
    case 0x30...0x39: return b - 0x30
    case 0x41...0x46: return b - 0x41 + 10
    case 0x61...0x66: return b - 0x61 + 10
    default: return nil
    }
  }

  /// Appends the decoded form of `input` to `out`; malformed escapes are copied as they are.
  /// Runs without `%` are copied in bulk (signatures and tokens are mostly plain base64).
  public static func decode(_ input: UnsafeRawBufferPointer, appendingTo out: inout [UInt8]) {
    let n = input.count
    guard n > 0, let base = input.baseAddress else { return }
    var i = 0
    while i < n {
      guard let found = memchr(base + i, Int32(UInt8(ascii: "%")), n - i) else {
        out.append(contentsOf: UnsafeRawBufferPointer(rebasing: input[i..<n]))
        return
      }
      let p = UnsafeRawPointer(found) - base
      if p > i { out.append(contentsOf: UnsafeRawBufferPointer(rebasing: input[i..<p])) }
      if p + 2 < n, let hi = hexValue(input[p + 1]), let lo = hexValue(input[p + 2]) {
        out.append(hi << 4 | lo)
        i = p + 3
      } else {
        out.append(UInt8(ascii: "%"))
        i = p + 1
      }
    }
  }
}
