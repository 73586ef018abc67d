/// `%XX` decoding of URL components. `+` is left alone: S3 and the SigV4 canonical form encode
/// spaces as `%20`, and a raw `+` in a signed value is literal.
public enum PercentDecoding {
  @inline(__always)
  static func hexValue(_ b: UInt8) -> UInt8? {
    switch b {
    case 0x30...0x39: return b - 0x30
    case 0x41...0x46: return b - 0x41 + 10
    case 0x61...0x66: return b - 0x61 + 10
    default: return nil
    }
  }

  /// Appends the decoded form of `input` to `out`; malformed escapes are copied as they are.
  public static func decode(_ input: UnsafeRawBufferPointer, appendingTo out: inout [UInt8]) {
    let n = input.count
    var i = 0
    while i < n {
      let b = input[i]
      if b == UInt8(ascii: "%") && i + 2 < n, let hi = hexValue(input[i + 1]),
        let lo = hexValue(input[i + 2])
      {
        out.append(hi << 4 | lo)
        i += 3
      } else {
        out.append(b)
        i += 1
      }
    }
  }
}
