/// Fingerprints every secret in arbitrary text — a rejected log line, a piece of broken JSON —
/// where no parser can be trusted to find the fields: any `?` or `&` followed by a secret
/// parameter name and `=`, and any JSON member named like a token, signature or secret key.
/// Values end at the usual delimiters or at the end of the text (an excerpt may cut one short:
/// the part that is there is hashed).
public enum SecretScrubber {
  static let jsonNames: [StaticString] = [
    "sessiontoken", "x-amz-security-token", "x-amz-signature", "signature", "secretaccesskey",
  ]

  /// Appends `text` to `out` with secrets replaced by `sha256:<hex>`.
  public static func scrub(
    _ text: UnsafeRawBufferPointer, appendingTo out: inout [UInt8], cache: inout FingerprintCache
  ) {
    let n = text.count
    var copied = 0
    var i = 0
    func replace(valueStart: Int, valueEnd: Int) {
      out.append(contentsOf: UnsafeRawBufferPointer(rebasing: text[copied..<valueStart]))
      out.append(contentsOf: "sha256:".utf8)
      cache.appendHex(ofEncoded: UnsafeRawBufferPointer(rebasing: text[valueStart..<valueEnd]), to: &out)
      copied = valueEnd
    }
    while i < n {
      let c = text[i]
      if c == UInt8(ascii: "?") || c == UInt8(ascii: "&") {
        // query parameter: name=value
        var j = i + 1
        while j < n && text[j] != UInt8(ascii: "=") && text[j] != UInt8(ascii: "&") && text[j] != UInt8(ascii: " ")
          && j - i <= 21
        {
          j += 1
        }
        if j < n && text[j] == UInt8(ascii: "="),
          let p = QueryParameter.match(UnsafeRawBufferPointer(rebasing: text[(i + 1)..<j])), p.isSecret
        {
          var e = j + 1
          while e < n {
            let d = text[e]
            if d == UInt8(ascii: "&") || d == UInt8(ascii: " ") || d == UInt8(ascii: "#") || d == UInt8(ascii: "\"") {
              break
            }
            e += 1
          }
          replace(valueStart: j + 1, valueEnd: e)
          i = e
          continue
        }
      } else if c == UInt8(ascii: "\"") {
        // JSON member: "name" : "value"
        if let (valueStart, valueEnd) = jsonSecretValue(text, nameQuote: i) {
          replace(valueStart: valueStart, valueEnd: valueEnd)
          i = valueEnd
          continue
        }
      }
      i += 1
    }
    out.append(contentsOf: UnsafeRawBufferPointer(rebasing: text[copied..<n]))
  }

  /// For `"name": "value` starting at the quote `q` with a secret name, the value's bounds
  /// (without quotes; up to an unescaped quote or the end of the text).
  static func jsonSecretValue(_ text: UnsafeRawBufferPointer, nameQuote q: Int) -> (Int, Int)? {
    let n = text.count
    var k = q + 1
    while k < n && text[k] != UInt8(ascii: "\"") && k - q <= 21 { k += 1 }
    guard k < n, text[k] == UInt8(ascii: "\"") else { return nil }
    let name = UnsafeRawBufferPointer(rebasing: text[(q + 1)..<k])
    guard jsonNames.contains(where: { QueryParameter.equalsIgnoringCase(name, $0) }) else { return nil }
    var v = k + 1
    while v < n && (text[v] == 0x20 || text[v] == 0x0A || text[v] == 0x0D || text[v] == 0x09) { v += 1 }
    guard v < n, text[v] == UInt8(ascii: ":") else { return nil }
    v += 1
    while v < n && (text[v] == 0x20 || text[v] == 0x0A || text[v] == 0x0D || text[v] == 0x09) { v += 1 }
    guard v < n, text[v] == UInt8(ascii: "\"") else { return nil }
    let start = v + 1
    var e = start
    while e < n && text[e] != UInt8(ascii: "\"") {
      e += text[e] == UInt8(ascii: "\\") ? 2 : 1
    }
    return (start, min(e, n))
  }
}
