/// Lower-case hexadecimal text of bytes (digests and fingerprints).
public enum Hex {
  static let digits: [UInt8] = Array("0123456789abcdef".utf8)

  /// Appends two lower-case hex digits per byte of `bytes` to `out`, written in place rather
  /// than appended one by one.
  public static func append(_ bytes: UnsafeRawBufferPointer, to out: inout [UInt8]) {
    let start = out.count
    out.append(contentsOf: repeatElement(0, count: 2 * bytes.count))
    out.withUnsafeMutableBufferPointer { o in
      digits.withUnsafeBufferPointer { hex in
        for (i, b) in bytes.enumerated() {
          o[start + 2 * i] = hex[Int(b >> 4)]
          o[start + 2 * i + 1] = hex[Int(b & 0x0F)]
        }
      }
    }
  }
}
