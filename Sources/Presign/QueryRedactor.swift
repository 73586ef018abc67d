import LogBytes

#if canImport(Glibc)
  import Glibc
#endif

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

  /// Appends `text` to `out` with secret values replaced; returns whether anything was replaced.
  @discardableResult
  public mutating func redact(_ text: UnsafeRawBufferPointer, appendingTo out: inout [UInt8]) -> Bool {
    cache.reset()
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
      out.append(contentsOf: "sha256:".utf8)
      cache.appendHex(ofEncoded: value, to: &out)
      copied = valueStart + value.count
      replaced = true
    }
    out.append(contentsOf: UnsafeRawBufferPointer(rebasing: text[copied..<text.count]))
    return replaced
  }

  /// Calls `body(offset, name, value)` for each `name=value` that starts the text or follows `?`
  /// or `&`. A value ends at `&`, `?`, `#`, a space or the end (a Request-URI ends in
  /// ` HTTP/1.1`). `?` ends a value too so that a URL nested unencoded in a parameter
  /// (`next=/x?X-Amz-Signature=...`) has its secrets seen wherever the text starts: in the whole
  /// Request-URI just as in its query alone, which starts after such a `?`.
  static func forEachParameter(
    _ text: UnsafeRawBufferPointer,
    _ body: (Int, UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> Void
  ) {
    let n = text.count
    guard n > 0 else { return }
    var i = 0
    // Parameters only start after the first `?` of a URL; a bare query string starts at 0.
    if let found = memchr(text.baseAddress!, Int32(UInt8(ascii: "?")), n) {
      let q = UnsafeRawPointer(found) - text.baseAddress!
      let prefix = UnsafeRawBufferPointer(rebasing: text[0..<q])
      if prefix.contains(UInt8(ascii: "/")) || prefix.contains(UInt8(ascii: " ")) { i = q + 1 }
    }
    while i < n {
      // name
      let nameStart = i
      while i < n {
        let b = text[i]
        if b == UInt8(ascii: "=") || b == UInt8(ascii: "&") || b == UInt8(ascii: " ") || b == UInt8(ascii: "#") {
          break
        }
        i += 1
      }
      let name = UnsafeRawBufferPointer(rebasing: text[nameStart..<i])
      if i < n && text[i] == UInt8(ascii: "=") {
        i += 1
        let valueStart = i
        while i < n {
          let b = text[i]
          if b == UInt8(ascii: "&") || b == UInt8(ascii: " ") || b == UInt8(ascii: "#") || b == UInt8(ascii: "?") {
            break
          }
          i += 1
        }
        body(nameStart, name, UnsafeRawBufferPointer(rebasing: text[valueStart..<i]))
      }
      guard i < n, text[i] == UInt8(ascii: "&") || text[i] == UInt8(ascii: "?") else { return }
      i += 1
    }
  }
}
