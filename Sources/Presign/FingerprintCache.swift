import LogBytes

/// Remembers the fingerprints of the last few secret values seen, by their raw (URL-encoded)
/// bytes: one request's token and signature appear in the Request-URI, the query and the
/// presign columns, and are decoded and hashed once instead of three times.
public struct FingerprintCache: Sendable {
  private var raws: [[UInt8]] = []
  private var hexes: [[UInt8]] = []
  private var used = 0
  private var next = 0
  private var decoded: [UInt8] = []
  static let capacity = 4

  public init() {}

  /// Forgets everything (call between rows; memory is kept).
  public mutating func reset() { used = 0 }

  /// Appends the hex SHA-256 of the percent-decoded `raw` value to `out`.
  public mutating func appendHex(ofEncoded raw: UnsafeRawBufferPointer, to out: inout [UInt8]) {
    for i in 0..<used where raws[i].count == raw.count && raws[i].elementsEqual(raw) {
      out.append(contentsOf: hexes[i])
      return
    }
    decoded.removeAll(keepingCapacity: true)
    PercentDecoding.decode(raw, appendingTo: &decoded)
    let slot: Int
    if used < Self.capacity {
      slot = used
      used += 1
      if raws.count <= slot {
        raws.append([])
        hexes.append([])
      }
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
