/// Decoding JSON strings and numbers found by `JSONScanner`.
public enum JSONStrings {
  @inline(__always)
  static func hexDigit(_ b: UInt8) -> UInt32? {
    switch b {
    case 0x30...0x39: return UInt32(b - 0x30)
    case 0x41...0x46: return UInt32(b - 0x41 + 10)
    case 0x61...0x66: return UInt32(b - 0x61 + 10)
    default: return nil
    }
  }

  static func hex4(_ b: UnsafeRawBufferPointer, _ at: Int) -> UInt32? {
    guard at + 4 <= b.count, let a = hexDigit(b[at]), let c = hexDigit(b[at + 1]), let d = hexDigit(b[at + 2]),
      let e = hexDigit(b[at + 3])
    else { return nil }
    return a << 12 | c << 8 | d << 4 | e
  }

  /// Appends the decoded content of string `v` (UTF-8) to `out`. Escapes are resolved, surrogate
  /// pairs joined; a lone surrogate becomes U+FFFD.
  public static func appendDecoded(_ v: JSONValue, in buffer: UnsafeRawBufferPointer, to out: inout [UInt8]) {
    let raw = v.bytes(in: buffer)
    guard v.escaped else {
      out.append(contentsOf: raw)
      return
    }
    var i = 0
    let n = raw.count
    while i < n {
      let b = raw[i]
      guard b == UInt8(ascii: "\\"), i + 1 < n else {
        out.append(b)
        i += 1
        continue
      }
      let e = raw[i + 1]
      i += 2
      switch e {
      case UInt8(ascii: "b"): out.append(8)
      case UInt8(ascii: "f"): out.append(12)
      case UInt8(ascii: "n"): out.append(10)
      case UInt8(ascii: "r"): out.append(13)
      case UInt8(ascii: "t"): out.append(9)
      case UInt8(ascii: "u"):
        guard var scalar = hex4(raw, i) else {
          appendScalar(0xFFFD, to: &out)
          continue
        }
        i += 4
        if scalar >= 0xD800 && scalar < 0xDC00 {
          if i + 6 <= n && raw[i] == UInt8(ascii: "\\") && raw[i + 1] == UInt8(ascii: "u"),
            let low = hex4(raw, i + 2), low >= 0xDC00 && low < 0xE000
          {
            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            i += 6
          } else {
            scalar = 0xFFFD
          }
        } else if scalar >= 0xDC00 && scalar < 0xE000 {
          scalar = 0xFFFD
        }
        appendScalar(scalar, to: &out)
      default: out.append(e)  // \" \\ \/
      }
    }
  }

  static func appendScalar(_ s: UInt32, to out: inout [UInt8]) {
    switch s {
    case 0..<0x80:
      out.append(UInt8(s))
    case 0x80..<0x800:
      out.append(UInt8(0xC0 | (s >> 6)))
      out.append(UInt8(0x80 | (s & 0x3F)))
    case 0x800..<0x10000:
      out.append(UInt8(0xE0 | (s >> 12)))
      out.append(UInt8(0x80 | ((s >> 6) & 0x3F)))
      out.append(UInt8(0x80 | (s & 0x3F)))
    default:
      out.append(UInt8(0xF0 | (s >> 18)))
      out.append(UInt8(0x80 | ((s >> 12) & 0x3F)))
      out.append(UInt8(0x80 | ((s >> 6) & 0x3F)))
      out.append(UInt8(0x80 | (s & 0x3F)))
    }
  }

  /// Decoded content of a string value as a Swift string (tests, rare paths).
  public static func string(_ v: JSONValue, in buffer: UnsafeRawBufferPointer) -> String? {
    guard v.kind == .string else { return nil }
    var out: [UInt8] = []
    appendDecoded(v, in: buffer, to: &out)
    return String(decoding: out, as: UTF8.self)
  }

  /// True when string `v` is exactly `name` (member names are compared without decoding; names
  /// with escapes never match, which is the behaviour CloudTrail's own names need).
  @inline(__always)
  public static func equals(_ v: JSONValue, _ name: StaticString, in buffer: UnsafeRawBufferPointer) -> Bool {
    let n = name.utf8CodeUnitCount
    guard v.kind == .string, !v.escaped, Int(v.end - v.start) == n else { return false }
    let p = UnsafeRawPointer(name.utf8Start)
    let s = Int(v.start)
    // Member names are 7 to 30 bytes: compared a word at a time, the last word overlapping.
    if n >= 8 {
      var k = 0
      while k + 8 < n {
        if buffer.loadUnaligned(fromByteOffset: s + k, as: UInt64.self)
          != p.loadUnaligned(fromByteOffset: k, as: UInt64.self)
        {
          return false
        }
        k += 8
      }
      return buffer.loadUnaligned(fromByteOffset: s + n - 8, as: UInt64.self)
        == p.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
    }
    for k in 0..<n where buffer[s + k] != p.load(fromByteOffset: k, as: UInt8.self) { return false }
    return true
  }

  /// Case-insensitive ASCII comparison (`X-Amz-Date` and `x-amz-date` both occur).
  public static func equalsIgnoringCase(_ v: JSONValue, _ lowered: StaticString, in buffer: UnsafeRawBufferPointer)
    -> Bool
  {
    let n = lowered.utf8CodeUnitCount
    guard v.kind == .string, !v.escaped, Int(v.end - v.start) == n else { return false }
    let p = lowered.utf8Start
    let s = Int(v.start)
    for k in 0..<n {
      var c = buffer[s + k]
      if c >= 0x41 && c <= 0x5A { c |= 0x20 }
      if c != p[k] { return false }
    }
    return true
  }

  /// An integer from a JSON number (`7759`, `21838.0`, `1.5e3`) or a numeric string (`"300"`).
  /// Fractions are truncated; nil when the value is not a number or does not fit.
  public static func integer(_ v: JSONValue, in buffer: UnsafeRawBufferPointer) -> Int64? {
    guard v.kind == .number || v.kind == .string else { return nil }
    let b = v.bytes(in: buffer)
    guard !b.isEmpty else { return nil }
    var i = 0
    var negative = false
    if b[0] == UInt8(ascii: "-") {
      negative = true
      i = 1
    }
    var value: Int64 = 0
    var digits = 0
    while i < b.count, b[i] >= 0x30 && b[i] <= 0x39 {
      guard digits < 18 else { return nil }
      value = value * 10 + Int64(b[i] - 0x30)
      digits += 1
      i += 1
    }
    guard digits > 0 else { return nil }
    if i < b.count && b[i] == UInt8(ascii: ".") {
      i += 1
      while i < b.count, b[i] >= 0x30 && b[i] <= 0x39 { i += 1 }
    }
    if i < b.count && (b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E")) {
      // Rare: fall back to floating point for exponents.
      guard v.kind == .number, let d = Double(String(decoding: b, as: UTF8.self)), d.isFinite,
        abs(d) < 9.2e18
      else { return nil }
      return Int64(d)
    }
    guard i == b.count else { return nil }
    return negative ? -value : value
  }
}
