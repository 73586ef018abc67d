import LogBytes

/// Replaces the value of every secret query parameter (`X-Amz-Signature`, `Signature`,
/// `X-Amz-Security-Token`) in a URL, Request-URI or query string by `sha256:<hex>` of its decoded
/// value — the same hex the `signature_sha256` / `security_token_sha256` columns hold.
public struct QueryRedactor {
  private var cache = FingerprintCache()

  public init() {}

  /// True when `text` holds a secret parameter that `redact` would rewrite. Cheap pre-check.
  public static func containsSecret(_ text: UnsafeRawBufferPointer) -> Bool {
    var found = false
    forEachParameter(text) { _, name, _ in
      if let p = QueryParameter.match(name), p.isSecret { found = true }
    }
    return found
  }

  /// What a fingerprinted value starts with, before its hex.
  static let fingerprintPrefix: [UInt8] = Array("sha256:".utf8)

  /// Appends `text` to `out` with secret values replaced; returns whether anything was replaced.
  @discardableResult
  public mutating func redact(_ text: UnsafeRawBufferPointer, appendingTo out: inout [UInt8]) -> Bool {
    return Self.redact(text, appendingTo: &out, cache: &cache)
  }

  /// The same, sharing fingerprints already computed for this row.
  @discardableResult
  public static func redact(
    _ text: UnsafeRawBufferPointer, appendingTo out: inout [UInt8], cache: inout FingerprintCache
  ) -> Bool {
    var copied = 0
    var replaced = false
    forEachParameter(text) { _, name, value in
      guard let p = QueryParameter.match(name), p.isSecret else { return }
      let valueStart = value.baseAddress! - text.baseAddress!
      out.append(contentsOf: UnsafeRawBufferPointer(rebasing: text[copied..<valueStart]))
      out.append(contentsOf: fingerprintPrefix)
      cache.appendHex(ofEncoded: value, to: &out)
      copied = valueStart + value.count
      replaced = true
    }
    out.append(contentsOf: UnsafeRawBufferPointer(rebasing: text[copied..<text.count]))
    return replaced
  }

  /// Calls `body(offset, name, value)` for each `name=value` that starts the text or follows a
  /// separator: `&`, `?`, `#` or a space. Separators end names and values alike, and parsing goes
  /// on after each of them, so a secret is seen wherever the text starts and whatever precedes
  /// it: in a whole Request-URI (`GET /k?a=1 HTTP/1.1`) as in its query alone, in a URL nested
  /// unencoded in a value (`next=/x?X-Amz-Signature=...`), after a stray space or in a fragment.
  /// A path or a method is read as names without values and left alone.
  static func forEachParameter(
    _ text: UnsafeRawBufferPointer,
    _ body: (Int, UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> Void
  ) {
    let n = text.count
    var i = 0
    while i < n {
      let nameStart = i
      i = nextSeparator(text, from: i, orEquals: true)
      if i < n && text[i] == UInt8(ascii: "=") {
        let name = UnsafeRawBufferPointer(rebasing: text[nameStart..<i])
        i += 1
        let valueStart = i
        i = nextSeparator(text, from: i, orEquals: false)
        body(nameStart, name, UnsafeRawBufferPointer(rebasing: text[valueStart..<i]))
      }
      i += 1
    }
  }

  @inline(__always)
  static func isSeparator(_ b: UInt8) -> Bool {
    b == UInt8(ascii: "&") || b == UInt8(ascii: "?") || b == UInt8(ascii: " ") || b == UInt8(ascii: "#")
  }

  /// Offset of the first separator (or `=`, when `orEquals`) at or after `from`, or the text's end.
  /// Eight bytes a step: a session token runs to a thousand bytes, and a presigned request's
  /// query is walked for every row that holds one.
  @inline(__always)
  static func nextSeparator(_ text: UnsafeRawBufferPointer, from: Int, orEquals: Bool) -> Int {
    let n = text.count
    var i = from
    let amp = ByteSearch.splat(UInt8(ascii: "&"))
    let question = ByteSearch.splat(UInt8(ascii: "?"))
    let space = ByteSearch.splat(UInt8(ascii: " "))
    let hash = ByteSearch.splat(UInt8(ascii: "#"))
    // Without `orEquals`, `=` is looked for as `&`, which changes nothing.
    let equals = ByteSearch.splat(orEquals ? UInt8(ascii: "=") : UInt8(ascii: "&"))
    while i + 8 <= n {
      let w = text.loadUnaligned(fromByteOffset: i, as: UInt64.self)
      let found =
        ByteSearch.matches(w, amp) | ByteSearch.matches(w, question) | ByteSearch.matches(w, space)
        | ByteSearch.matches(w, hash) | ByteSearch.matches(w, equals)
      if found != 0 { return i + found.trailingZeroBitCount >> 3 }
      i += 8
    }
    while i < n && !isSeparator(text[i]) && !(orEquals && text[i] == UInt8(ascii: "=")) { i += 1 }
    return i
  }
}
