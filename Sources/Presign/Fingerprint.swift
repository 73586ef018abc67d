import Crypto
import LogBytes

/// SHA-256 fingerprints of secrets. A fingerprint groups uses of one URL or one session without
/// letting anyone who reads a shard replay them.
public enum Fingerprint {
  /// Appends the 64 lower-case hex digits of SHA-256(`secret`) to `out`.
  public static func appendSHA256Hex(of secret: UnsafeRawBufferPointer, to out: inout [UInt8]) {
    var hasher = SHA256()
    hasher.update(bufferPointer: secret)
    hasher.finalize().withUnsafeBytes { Hex.append($0, to: &out) }
  }

  public static func sha256Hex(_ secret: [UInt8]) -> String {
    var out: [UInt8] = []
    secret.withUnsafeBytes { appendSHA256Hex(of: $0, to: &out) }
    return String(decoding: out, as: UTF8.self)
  }
}
