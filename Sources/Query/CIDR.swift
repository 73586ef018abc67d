import LogBytes

/// An IPv4 or IPv6 network; addresses are compared as 128-bit numbers (IPv4 as ::ffff:a.b.c.d).
public struct CIDR: Sendable, Hashable {
  public let network: (UInt64, UInt64)
  public let prefix: Int
  public let text: String

  public static func == (a: CIDR, b: CIDR) -> Bool { a.text == b.text }
  public func hash(into h: inout Hasher) { h.combine(text) }

  public init?(_ text: String) {
    let parts = text.split(separator: "/", omittingEmptySubsequences: false)
    guard parts.count <= 2, let address = IPAddress.parse(Array(parts[0].utf8)) else { return nil }
    let isV4 = !parts[0].contains(":")
    var bits = isV4 ? 32 : 128
    if parts.count == 2 {
      guard let p = Int(parts[1]), p >= 0, p <= bits else { return nil }
      bits = p
    }
    prefix = isV4 ? 96 + bits : bits
    network = IPAddress.mask(address, prefix)
    self.text = text
  }

  public func contains(_ address: (UInt64, UInt64)) -> Bool {
    let m = IPAddress.mask(address, prefix)
    return m.0 == network.0 && m.1 == network.1
  }
}

public enum IPAddress {
  static func mask(_ a: (UInt64, UInt64), _ prefix: Int) -> (UInt64, UInt64) {
    if prefix >= 128 { return a }
    if prefix <= 0 { return (0, 0) }
    if prefix <= 64 { return (a.0 & ~(UInt64.max >> UInt64(prefix)), 0) }
    return (a.0, a.1 & ~(UInt64.max >> UInt64(prefix - 64)))
  }

  public static func parse(_ b: [UInt8]) -> (UInt64, UInt64)? {
    b.withUnsafeBytes { parse($0) }
  }

  /// Parses dotted IPv4 or IPv6 (with `::`, and an embedded IPv4 tail) from bytes, in place.
  public static func parse(_ bytes: UnsafeRawBufferPointer) -> (UInt64, UInt64)? {
    if bytes.count > 45 { return nil }
    if !bytes.contains(UInt8(ascii: ":")) {
      guard let v4 = parseV4(bytes) else { return nil }
      return (0, 0x0000_FFFF_0000_0000 | UInt64(v4))
    }
    var groups: (UInt16, UInt16, UInt16, UInt16, UInt16, UInt16, UInt16, UInt16) = (0, 0, 0, 0, 0, 0, 0, 0)
    var count = 0
    var gap: Int?
    func put(_ v: UInt16) -> Bool {
      guard count < 8 else { return false }
      withUnsafeMutableBytes(of: &groups) { $0.storeBytes(of: v, toByteOffset: count * 2, as: UInt16.self) }
      count += 1
      return true
    }
    var i = 0
    if bytes.starts(with: [0x3A, 0x3A]) {
      gap = 0
      i = 2
    }
    while i < bytes.count {
      var j = i
      while j < bytes.count, bytes[j] != UInt8(ascii: ":") { j += 1 }
      let piece = UnsafeRawBufferPointer(rebasing: bytes[i..<j])
      if piece.contains(UInt8(ascii: ".")) {
        guard j == bytes.count, let v4 = parseV4(piece), put(UInt16(v4 >> 16)), put(UInt16(v4 & 0xFFFF)) else {
          return nil
        }
        i = j
        break
      }
      guard !piece.isEmpty, piece.count <= 4 else { return nil }
      var v: UInt16 = 0
      for c in piece {
        guard let h = PercentDecoding.hexValue(c) else { return nil }
        v = v << 4 | UInt16(h)
      }
      guard put(v) else { return nil }
      if j + 1 < bytes.count, bytes[j + 1] == UInt8(ascii: ":") {
        guard gap == nil else { return nil }
        gap = count
        i = j + 2
      } else {
        i = j + 1
        if j + 1 == bytes.count && j < bytes.count { return nil }
      }
    }
    var words = withUnsafeBytes(of: groups) { raw in (0..<8).map { raw.load(fromByteOffset: $0 * 2, as: UInt16.self) } }
    if let gap {
      guard count < 8 else { return nil }
      let tail = Array(words[gap..<count])
      for k in gap..<8 { words[k] = 0 }
      for (n, w) in tail.enumerated() { words[8 - tail.count + n] = w }
    } else {
      guard count == 8 else { return nil }
    }
    var hi: UInt64 = 0
    var lo: UInt64 = 0
    for k in 0..<4 { hi = hi << 16 | UInt64(words[k]) }
    for k in 4..<8 { lo = lo << 16 | UInt64(words[k]) }
    return (hi, lo)
  }

  private static func parseV4(_ b: UnsafeRawBufferPointer) -> UInt32? {
    var result: UInt32 = 0
    var parts = 0
    var value: UInt32 = 0
    var digits = 0
    for c in b {
      if c == UInt8(ascii: ".") {
        guard digits > 0, parts < 3 else { return nil }
        result = result << 8 | value
        parts += 1
        value = 0
        digits = 0
      } else if c >= 0x30 && c <= 0x39 {
        value = value * 10 + UInt32(c - 0x30)
        digits += 1
        guard digits <= 3, value <= 255 else { return nil }
      } else {
        return nil
      }
    }
    guard digits > 0, parts == 3 else { return nil }
    return result << 8 | value
  }
}
