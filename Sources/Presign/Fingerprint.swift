import Crypto

/// SHA-256 fingerprints of secrets. A fingerprint groups uses of one URL or one session without
/// letting anyone who reads a shard replay them.
public enum Fingerprint {
  static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

  /// Appends the 64 lower-case hex digits of SHA-256(`secret`) to `out`.
  public static func appendSHA256Hex(of secret: UnsafeRawBufferPointer, to out: inout [UInt8]) {
    var hasher = SHA256()
    hasher.update(bufferPointer: secret)
    let digest = hasher.finalize()
    // The 64 digits are written in place, not appended one by one.
    let start = out.count
    out.append(contentsOf: repeatElement(0, count: 64))
    digest.withUnsafeBytes { d in
      out.withUnsafeMutableBufferPointer { o in
        hexDigits.withUnsafeBufferPointer { hex in
          for (i, b) in d.enumerated() {
            o[start + 2 * i] = hex[Int(b >> 4)]
            o[start + 2 * i + 1] = hex[Int(b & 0x0F)]
          }
        }
      }
    }
  }

  public static func sha256Hex(_ secret: [UInt8]) -> String {
    var out: [UInt8] = []
    secret.withUnsafeBytes { appendSHA256Hex(of: $0, to: &out) }
    return String(decoding: out, as: UTF8.self)
  }
}
