import LogBytes

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Remembers the fingerprints of the last secret values seen, by their raw (URL-encoded) bytes.
/// One request's token and signature appear in the Request-URI, the query and the presign
/// columns, and one session's token in every request it signs: each is decoded and hashed once
/// while it stays among the last `capacity` distinct secrets, instead of at every sight. A
/// fingerprint depends on the raw bytes alone, so entries never go stale.
public struct FingerprintCache: Sendable {
  private var raws: [[UInt8]] = []
  private var hexes: [[UInt8]] = []
  private var next = 0
  private var decoded: [UInt8] = []
  /// Whether values are percent-encoded (URL parameters) and hashed decoded, or hashed as given
  /// (secrets already decoded from JSON: one cache never mixes the two).
  let percentEncoded: Bool
  static let capacity = 16

  public init(percentEncoded: Bool = true) { self.percentEncoded = percentEncoded }

  /// Appends the hex SHA-256 of the `raw` value (percent-decoded first if `percentEncoded`) to
  /// `out`.
  public mutating func appendHex(ofEncoded raw: UnsafeRawBufferPointer, to out: inout [UInt8]) {
    for i in raws.indices where raws[i].count == raw.count {
      let same = raws[i].withUnsafeBytes { r in
        raw.count == 0 || memcmp(r.baseAddress!, raw.baseAddress!, raw.count) == 0
      }
      if same {
        out.append(contentsOf: hexes[i])
        return
      }
    }
    decoded.removeAll(keepingCapacity: true)
    if percentEncoded {
      PercentDecoding.decode(raw, appendingTo: &decoded)
    } else {
      decoded.append(contentsOf: raw.assumingMemoryBound(to: UInt8.self))
    }
    let slot: Int
    if raws.count < Self.capacity {
      slot = raws.count
      raws.append([])
      hexes.append([])
    } else {
      slot = next
      next = (next + 1) % Self.capacity
    }
    raws[slot].removeAll(keepingCapacity: true)
    raws[slot].append(contentsOf: raw)
    hexes[slot].removeAll(keepingCapacity: true)
    decoded.withUnsafeBytes { Fingerprint.appendSHA256Hex(of: $0, to: &hexes[slot]) }
    out.append(contentsOf: hexes[slot])
  }
}
