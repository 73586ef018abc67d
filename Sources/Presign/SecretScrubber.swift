import LogBytes

/// The one scrubber every text value passes through before it is written anywhere: each column
/// of each table, reject excerpts, messages. It trusts no parser: it reads the text as a URL
/// or JSON would be read after any number of decodings, and fingerprints the value of every
/// parameter or member named like a secret (`X-Amz-Signature`, `Signature`,
/// `X-Amz-Security-Token`, `sessionToken`, `secretAccessKey`, ...).
///
/// Names are matched ignoring case, `-` and `_`, after percent-decoding repeatedly (`%2D`,
/// `%253D`) and JSON unescaping (`\u0065`, `\"`), wherever they follow a character that is not
/// part of a name: `?`, `&`, `;`, `,`, a space, a quote, or the start of the text. A value is
/// replaced in the text as it was stored, by `sha256:<hex>` of its decoded bytes (what the
/// fingerprint columns hold for the same secret); the rest of the text is kept byte for byte.
public struct SecretScrubber {
  /// Decoding passes at most: `%25` nested three deep is already unheard of.
  static let maxPasses = 4

  /// Values are hashed percent-decoded: a text scanned as stored may hold escapes of value bytes
  /// (`%2B`), and a decoded one none.
  private var cache = FingerprintCache(percentEncoded: true)
  /// The text decoded (in `decoded`, `count` bytes) and, when asked for, the offset in the stored
  /// text each decoded byte came from; the `spare` pair is the other side of each pass.
  private var decoded: [UInt8] = []
  private var spare: [UInt8] = []
  private var origin: [Int32] = []
  private var spareOrigin: [Int32] = []
  private var count = 0
  /// Secret values found: stored-text ranges and where their hex is in `hexes`.
  private var found: [(start: Int, end: Int, hex: Int)] = []
  private var hexes: [UInt8] = []

  /// Decode every text with escapes, even where reading it as stored finds the same (for tests).
  var alwaysDecode = false

  public init() {}

  /// Whether `text` can hold a secret at all: it has a `=` or `"` to end a name, or a `%` or `\`
  /// that may encode one. Every stored value is checked, and most (ids,
  /// times, agents, plain keys) stop here.
  @inlinable
  public static func mayHoldSecret(_ text: UnsafeRawBufferPointer) -> Bool {
    let n = text.count
    // The shortest text with a secret is a name of 9 letters, `=` and a byte (`signature=x`).
    guard n >= shortestSecretText else { return false }
    guard n > 16 else {
      // Two words that overlap cover it.
      @inline(__always) func hit(_ w: UInt64) -> Bool {
        (ByteSearch.matches(w, ByteSearch.splat(UInt8(ascii: "=")))
          | ByteSearch.matches(w, ByteSearch.splat(UInt8(ascii: "\"")))
          | ByteSearch.matches(w, ByteSearch.splat(UInt8(ascii: "%")))
          | ByteSearch.matches(w, ByteSearch.splat(UInt8(ascii: "\\")))) != 0
      }
      return hit(text.loadUnaligned(as: UInt64.self)) || hit(text.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self))
    }
    return ByteSearch.containsAny(
      UInt8(ascii: "="), UInt8(ascii: "\""), UInt8(ascii: "%"), UInt8(ascii: "\\"), in: text)
  }

  @usableFromInline static let shortestSecretText = 11

  /// The text of the last `scrub` that found a secret, with its secrets fingerprinted.
  public private(set) var output: [UInt8] = []

  /// Whether `text` holds a secret; if it does, `output` is the text with each one replaced.
  public mutating func scrub(_ text: UnsafeRawBufferPointer) -> Bool {
    guard Self.mayHoldSecret(text), findSecrets(text) else { return false }
    output.removeAll(keepingCapacity: true)
    var copied = 0
    for f in found {
      output.append(contentsOf: UnsafeRawBufferPointer(rebasing: text[copied..<f.start]))
      output.append(contentsOf: "sha256:".utf8)
      output.append(contentsOf: hexes[f.hex..<(f.hex + 64)])
      copied = f.end
    }
    output.append(contentsOf: UnsafeRawBufferPointer(rebasing: text[copied..<text.count]))
    return true
  }

  /// Appends `text` to `out` with every secret value fingerprinted; returns whether any was.
  @discardableResult
  public mutating func scrub(_ text: UnsafeRawBufferPointer, appendingTo out: inout [UInt8]) -> Bool {
    guard scrub(text) else {
      out.append(contentsOf: text)
      return false
    }
    out.append(contentsOf: output)
    return true
  }

  /// `text` with every secret fingerprinted, for messages and tests.
  public mutating func scrubbed(_ text: String) -> String {
    var text = text
    return text.withUTF8 { scrub(UnsafeRawBufferPointer($0)) } ? String(decoding: output, as: UTF8.self) : text
  }

  /// Fills `found` with the secret values of `text`, in order; returns whether there is one.
  /// Most texts that get here hold names and escapes but no secret (a presigned Request-URI's
  /// fingerprints, `%2F` in keys): they are decoded without tracking offsets and scanned once;
  /// only a text that holds a secret is decoded again with its offsets.
  private mutating func findSecrets(_ text: UnsafeRawBufferPointer) -> Bool {
    if !found.isEmpty {
      found.removeAll(keepingCapacity: true)
      hexes.removeAll(keepingCapacity: true)
    }
    guard alwaysDecode || Self.needsDecoding(text) else {
      scan(text, origin: nil, storedCount: text.count, probe: false)
      return !found.isEmpty
    }
    decode(text, tracking: false)
    let d = decoded
    guard
      d.withUnsafeBytes({
        scan(UnsafeRawBufferPointer(rebasing: $0[0..<count]), origin: nil, storedCount: 0, probe: true)
      })
    else { return false }
    decode(text, tracking: true)
    let d2 = decoded
    let o = origin
    d2.withUnsafeBytes { d in
      o.withUnsafeBufferPointer { o in
        _ = scan(
          UnsafeRawBufferPointer(rebasing: d[0..<count]), origin: o.baseAddress, storedCount: text.count, probe: false)
      }
    }
    return !found.isEmpty
  }

  /// Finds secret values in the decoded text `d`. With `probe`, answers whether there is one
  /// and records nothing; otherwise records each in `found`, with its range in the stored text
  /// (`origin` maps decoded offsets to stored ones; nil when `d` is the stored text).
  @discardableResult
  private mutating func scan(
    _ d: UnsafeRawBufferPointer, origin: UnsafePointer<Int32>?, storedCount: Int, probe: Bool
  ) -> Bool {
    let n = d.count
    var p = Self.nextDelimiter(d, from: 0)
    var lastEnd = 0
    while p < n {
      let value =
        d[p] == UInt8(ascii: "=") ? Self.parameterValue(d, equalsAt: p) : Self.memberValue(d, quoteAt: p)
      guard let (start, end) = value, end > start else {
        p = Self.nextDelimiter(d, from: p + 1)
        continue
      }
      if probe { return true }
      // Decoded offsets to stored ones; a value can end the text.
      let rawStart = origin.map { start < n ? Int($0[start]) : storedCount } ?? start
      let rawEnd = origin.map { end < n ? Int($0[end]) : storedCount } ?? end
      if rawStart >= lastEnd {
        let hex = hexes.count
        cache.appendHex(ofEncoded: UnsafeRawBufferPointer(rebasing: d[start..<end]), to: &hexes)
        found.append((rawStart, rawEnd, hex))
        lastEnd = rawEnd
      }
      p = Self.nextDelimiter(d, from: max(end, p + 1))
    }
    return !found.isEmpty
  }

  /// Offset of the next `=` or `"` at or after `from`, or the end.
  @inline(__always)
  static func nextDelimiter(_ d: UnsafeRawBufferPointer, from: Int) -> Int {
    ByteSearch.first(UInt8(ascii: "="), or: UInt8(ascii: "\""), in: d, from: from)
  }

  /// Offset of the next `%` or `\` at or after `from`, or the end.
  @inline(__always)
  static func nextEscape(_ d: UnsafeRawBufferPointer, from: Int) -> Int {
    ByteSearch.first(UInt8(ascii: "%"), or: UInt8(ascii: "\\"), in: d, from: from)
  }

  /// Whether decoding can change what a scan finds: the text has a `\`, or a `%XX` escape of a
  /// byte that can be part of a name, end one (`=`, `"`) or start another escape. Escapes of
  /// other bytes (`%2F` in keys and credentials, `%26`, `%3B`) are read where they stand: a name
  /// ends before them (`parameterValue`) and a value at one of a byte no value holds (`valueEnd`),
  /// as in the decoded text. Most stored texts with escapes need no decoding.
  static func needsDecoding(_ text: UnsafeRawBufferPointer) -> Bool {
    let n = text.count
    var i = nextEscape(text, from: 0)
    while i < n {
      if text[i] == UInt8(ascii: "\\") { return true }
      if let b = escapedByte(text, at: i) {
        if isNameByte(b) || b == UInt8(ascii: "=") || b == UInt8(ascii: "\"") || b == UInt8(ascii: "%")
          || b == UInt8(ascii: "\\")
        {
          return true
        }
        i = nextEscape(text, from: i + 3)
      } else {
        i = nextEscape(text, from: i + 1)
      }
    }
    return false
  }

  /// The byte a `%XX` escape at `i` stands for, if there is one.
  @inline(__always)
  static func escapedByte(_ d: UnsafeRawBufferPointer, at i: Int) -> UInt8? {
    guard d[i] == UInt8(ascii: "%"), i + 2 < d.count, let hi = PercentDecoding.hexValue(d[i + 1]),
      let lo = PercentDecoding.hexValue(d[i + 2])
    else {
      return nil
    }
    return hi << 4 | lo
  }

  /// Whether `d[j]` is the last digit of a `%XX` escape (which ends a name that follows it).
  @inline(__always)
  static func endsAnEscape(_ d: UnsafeRawBufferPointer, _ j: Int) -> Bool {
    j >= 2 && d[j - 2] == UInt8(ascii: "%") && PercentDecoding.hexValue(d[j - 1]) != nil
      && PercentDecoding.hexValue(d[j]) != nil
  }

  // MARK: matching on the decoded text

  @inline(__always)
  static func isNameByte(_ b: UInt8) -> Bool {
    (b >= 0x30 && b <= 0x39) || ((b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A) || b == UInt8(ascii: "-")
      || b == UInt8(ascii: "_")
  }

  /// Bytes a secret value can hold: base64 (standard and URL-safe), hex, and what survives of an
  /// escape that did not decode. Anything else (`&`, a space, a quote, `;`, `,`, `#`, ...) ends it.
  static func isValueByte(_ b: UInt8) -> Bool {
    isNameByte(b) || b == UInt8(ascii: "+") || b == UInt8(ascii: "/") || b == UInt8(ascii: "=")
      || b == UInt8(ascii: ".") || b == UInt8(ascii: "~") || b == UInt8(ascii: "%") || b == UInt8(ascii: ":")
  }

  /// `isValueByte` of every byte, looked up: values run to a thousand bytes.
  static let valueBytes: [Bool] = (0...255).map { isValueByte(UInt8($0)) }

  /// Whether `d[start..<end]`, normalized, is a secret's name: `signature`, `x-amz-signature`,
  /// `x-amz-security-token`, `sessionToken`, `securityToken`, `secretAccessKey` and the `aws_`
  /// forms of the last two (`aws_secret_access_key`, `aws_session_token`).
  static func isSecretName(_ d: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> Bool {
    guard end - start >= 9, end - start <= 32, endsLikeASecretName(d[end - 1]) else { return false }
    var length = 0
    for i in start..<end where d[i] != UInt8(ascii: "-") && d[i] != UInt8(ascii: "_") { length += 1 }
    func named(_ name: StaticString) -> Bool { normalizedName(d, start, end, equals: name) }
    switch length {
    case 9: return named("signature")
    case 12: return named("sessiontoken")
    case 13: return named("xamzsignature") || named("securitytoken")
    case 15: return named("secretaccesskey") || named("awssessiontoken")
    case 17: return named("xamzsecuritytoken")
    case 18: return named("awssecretaccesskey")
    default: return false
    }
  }

  /// `d[start..<end]` without `-` and `_`, in lower case, equals `name` (of the same length).
  @inline(__always)
  static func normalizedName(_ d: UnsafeRawBufferPointer, _ start: Int, _ end: Int, equals name: StaticString)
    -> Bool
  {
    let p = name.utf8Start
    var k = 0
    for i in start..<end {
      var b = d[i]
      if b == UInt8(ascii: "-") || b == UInt8(ascii: "_") { continue }
      if b >= 0x41 && b <= 0x5A { b |= 0x20 }
      if b != p[k] { return false }
      k += 1
    }
    return true
  }

  /// Every secret name ends in `e`, `n` or `y` (signature, token, key): most names stop here.
  @inline(__always)
  static func endsLikeASecretName(_ b: UInt8) -> Bool {
    let c = b | 0x20
    return c == UInt8(ascii: "e") || c == UInt8(ascii: "n") || c == UInt8(ascii: "y")
  }

  /// `name=value`: the value's decoded bounds when the name before `=` is a secret's.
  static func parameterValue(_ d: UnsafeRawBufferPointer, equalsAt p: Int) -> (Int, Int)? {
    guard p > 0, endsLikeASecretName(d[p - 1]) else { return nil }
    var s = p
    while s > 0 && isNameByte(d[s - 1]) && !endsAnEscape(d, s - 1) && p - s <= 32 { s -= 1 }
    guard isSecretName(d, s, p), !isFingerprint(d, at: p + 1) else { return nil }
    return (p + 1, valueEnd(d, from: p + 1))
  }

  /// `"name" : "value"`, from the name's opening quote: the value's decoded bounds when the name
  /// is a secret's.
  static func memberValue(_ d: UnsafeRawBufferPointer, quoteAt q: Int) -> (Int, Int)? {
    let n = d.count
    var k = q + 1
    while k < n && isNameByte(d[k]) && k - q <= 33 { k += 1 }
    guard k < n, d[k] == UInt8(ascii: "\""), isSecretName(d, q + 1, k) else { return nil }
    var v = k + 1
    while v < n && (d[v] == 0x20 || d[v] == 0x09 || d[v] == 0x0A || d[v] == 0x0D) { v += 1 }
    guard v < n, d[v] == UInt8(ascii: ":") else { return nil }
    v += 1
    while v < n && (d[v] == 0x20 || d[v] == 0x09 || d[v] == 0x0A || d[v] == 0x0D) { v += 1 }
    guard v < n, d[v] == UInt8(ascii: "\""), !isFingerprint(d, at: v + 1) else { return nil }
    return (v + 1, valueEnd(d, from: v + 1))
  }

  static func valueEnd(_ d: UnsafeRawBufferPointer, from start: Int) -> Int {
    valueBytes.withUnsafeBufferPointer { table in
      var e = start
      while e < d.count && table[Int(d[e])] {
        // An escape is one byte of the value, or its end.
        if d[e] == UInt8(ascii: "%"), let b = escapedByte(d, at: e) {
          guard table[Int(b)] else { break }
          e += 3
          continue
        }
        e += 1
      }
      return e
    }
  }

  /// Whether a value this scrubber (or the redactors before it) already wrote starts at `start`:
  /// `sha256:`, 64 lower-case hex digits, and the end of the value. Checked before the value is
  /// measured: a presigned Request-URI holds two, in every row.
  static func isFingerprint(_ d: UnsafeRawBufferPointer, at start: Int) -> Bool {
    guard start + 71 <= d.count else { return false }
    let prefix: UInt64 = 0x00_3A_36_35_32_61_68_73  // "sha256:" little-endian, 7 bytes
    guard d.loadUnaligned(fromByteOffset: start, as: UInt64.self) & 0x00FF_FFFF_FFFF_FFFF == prefix else {
      return false
    }
    return lowerHex.withUnsafeBufferPointer { hex in
      for i in (start + 7)..<(start + 71) where !hex[Int(d[i])] { return false }
      return start + 71 == d.count || valueEnd(d, from: start + 71) == start + 71
    }
  }

  static let lowerHex: [Bool] = (0...255).map { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }

  // MARK: decoding

  /// `decoded[0..<count]` (and `origin`, when `tracking`) for `text`: percent escapes and JSON
  /// escapes of ASCII characters undone, pass after pass, while a pass changes something and
  /// leaves an escape character behind.
  private mutating func decode(_ text: UnsafeRawBufferPointer, tracking: Bool) {
    let n = text.count
    if decoded.count < n {
      decoded = [UInt8](repeating: 0, count: n)
      spare = [UInt8](repeating: 0, count: n)
    }
    if tracking && origin.count < n {
      origin = [Int32](repeating: 0, count: n)
      spareOrigin = [Int32](repeating: 0, count: n)
    }
    var (m, changed, escapesLeft) = decoded.withUnsafeMutableBytes { dst in
      origin.withUnsafeMutableBufferPointer { o in
        Self.decodePass(text, from: nil, into: dst.baseAddress!, origin: tracking ? o.baseAddress : nil)
      }
    }
    var pass = 1
    while changed && escapesLeft && pass < Self.maxPasses {
      swap(&decoded, &spare)
      swap(&origin, &spareOrigin)
      (m, changed, escapesLeft) = spare.withUnsafeBytes { src in
        spareOrigin.withUnsafeBufferPointer { so in
          decoded.withUnsafeMutableBytes { dst in
            origin.withUnsafeMutableBufferPointer { o in
              Self.decodePass(
                UnsafeRawBufferPointer(rebasing: src[0..<m]), from: tracking ? so.baseAddress : nil,
                into: dst.baseAddress!, origin: tracking ? o.baseAddress : nil)
            }
          }
        }
      }
      pass += 1
    }
    count = m
  }

  /// One decoding pass of `src` into `dst` (which has room for `src.count` bytes), runs without
  /// escapes copied whole. With `origin`, each written byte's stored offset is written there:
  /// `from`'s entry for it, or its own offset in `src` when `from` is nil. Returns the bytes
  /// written, whether an escape was undone, and whether `%` or `\` is left in the output.
  static func decodePass(
    _ src: UnsafeRawBufferPointer, from: UnsafePointer<Int32>?, into dst: UnsafeMutableRawPointer,
    origin: UnsafeMutablePointer<Int32>?
  ) -> (Int, Bool, Bool) {
    let n = src.count
    var i = 0
    var w = 0
    var changed = false
    var left = false
    @inline(__always) func emit(_ b: UInt8, at source: Int) {
      dst.storeBytes(of: b, toByteOffset: w, as: UInt8.self)
      if let origin { origin[w] = from.map { $0[source] } ?? Int32(truncatingIfNeeded: source) }
      if b == UInt8(ascii: "%") || b == UInt8(ascii: "\\") { left = true }
      w += 1
    }
    while i < n {
      let e = nextEscape(src, from: i)
      if e > i {
        (dst + w).copyMemory(from: src.baseAddress! + i, byteCount: e - i)
        if let origin {
          for k in i..<e { origin[w + k - i] = from.map { $0[k] } ?? Int32(truncatingIfNeeded: k) }
        }
        w += e - i
        i = e
      }
      guard i < n else { break }
      let b = src[i]
      if b == UInt8(ascii: "%") {
        if i + 2 < n, let hi = PercentDecoding.hexValue(src[i + 1]), let lo = PercentDecoding.hexValue(src[i + 2]) {
          emit(hi << 4 | lo, at: i)
          i += 3
          changed = true
          continue
        }
      } else if i + 1 < n {
        let c = src[i + 1]
        if c == UInt8(ascii: "u"), i + 5 < n, let a = PercentDecoding.hexValue(src[i + 2]),
          let b2 = PercentDecoding.hexValue(src[i + 3]),
          let c3 = PercentDecoding.hexValue(src[i + 4]), let d4 = PercentDecoding.hexValue(src[i + 5]), a == 0, b2 == 0,
          c3 < 8
        {
          // \u00XY below 0x80: an ASCII character.
          emit(c3 << 4 | d4, at: i)
          i += 6
          changed = true
          continue
        }
        let simple: UInt8?
        switch c {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): simple = c
        case UInt8(ascii: "n"): simple = 0x0A
        case UInt8(ascii: "t"): simple = 0x09
        case UInt8(ascii: "r"): simple = 0x0D
        default: simple = nil
        }
        if let simple {
          emit(simple, at: i)
          i += 2
          changed = true
          continue
        }
      }
      emit(b, at: i)
      i += 1
    }
    return (w, changed, left)
  }
}
