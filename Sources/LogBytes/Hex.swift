/// Lower-case hexadecimal text of bytes (digests and fingerprints).
public enum Hex {
  static let digits: [UInt8] = Array("0123456789abcdef".utf8)

  /// Appends two lower-case hex digits per byte of `bytes` to `out`: written on the stack, then
  /// appended in one copy (growing `out` by zeroes first cost ~400 instructions per digest).
  public static func append(_ bytes: UnsafeRawBufferPointer, to out: inout [UInt8]) {
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 2 * bytes.count) { o in
      digits.withUnsafeBufferPointer { hex in
        for (i, b) in bytes.enumerated() {
          o[2 * i] = hex[Int(b >> 4)]
          o[2 * i + 1] = hex[Int(b & 0x0F)]
        }
      }
      out.append(contentsOf: UnsafeBufferPointer(o))
    }
  }

  /// Lower-case hex text of `bytes` (a digest, a signature).
  public static func string(_ bytes: some Sequence<UInt8>) -> String {
    var out: [UInt8] = []
    Array(bytes).withUnsafeBytes { append($0, to: &out) }
    return String(decoding: out, as: UTF8.self)
  }
}
