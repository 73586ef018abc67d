import Presign

#if canImport(Glibc)
  import Glibc
#endif

/// Copies a JSON value's source text with every secret replaced by `"sha256:<hex>"` of its
/// decoded value: members named like session tokens, signatures or secret keys, and secret
/// query parameters inside string values (a presigned URL logged as a parameter).
public struct JSONRedactor {
  private var decoded: [UInt8] = []
  private var rewritten: [UInt8] = []
  private var queryRedactor = QueryRedactor()
  /// Source ranges to replace, and where their replacement text lies in `replacementText`
  /// (one reused buffer: a new array per secret grew four or five times on the way to its hex).
  private var replacements: [(start: Int, end: Int, textStart: Int, textEnd: Int)] = []
  private var replacementText: [UInt8] = []
  /// Fingerprints of the last secrets seen, decoded: an AssumeRole response's session token is
  /// hashed once for its `response_elements` and its `issued_session_token_sha256`, and one
  /// session's token once for the requests it signs.
  private var secrets = FingerprintCache(percentEncoded: false)

  public init() {}

  /// Appends the hex SHA-256 of a secret's decoded bytes to `out`, through the same cache.
  public mutating func appendFingerprint(ofDecoded secret: UnsafeRawBufferPointer, to out: inout [UInt8]) {
    secrets.appendHex(ofEncoded: secret, to: &out)
  }

  static func isSecretName(_ k: JSONValue, _ b: UnsafeRawBufferPointer) -> Bool {
    switch k.end - k.start {
    case 9: return JSONStrings.equalsIgnoringCase(k, "signature", in: b)
    case 12: return JSONStrings.equalsIgnoringCase(k, "sessiontoken", in: b)
    case 15:
      return JSONStrings.equalsIgnoringCase(k, "secretaccesskey", in: b)
        || JSONStrings.equalsIgnoringCase(k, "x-amz-signature", in: b)
    case 20: return JSONStrings.equalsIgnoringCase(k, "x-amz-security-token", in: b)
    default: return false
    }
  }

  /// Appends the redacted source text of `v` to `out`.
  public mutating func append(_ v: JSONValue, scanner: JSONScanner, to out: inout [UInt8]) {
    let b = scanner.buffer
    replacements.removeAll(keepingCapacity: true)
    replacementText.removeAll(keepingCapacity: true)
    collect(v, secret: false, scanner)
    var at = Int(v.kind == .string ? v.start - 1 : v.start)
    for r in replacements {
      out.append(contentsOf: UnsafeRawBufferPointer(rebasing: b[at..<r.start]))
      out.append(contentsOf: replacementText[r.textStart..<r.textEnd])
      at = r.end
    }
    let end = Int(v.kind == .string ? v.end + 1 : v.end)
    out.append(contentsOf: UnsafeRawBufferPointer(rebasing: b[at..<end]))
  }

  private mutating func collect(_ v: JSONValue, secret: Bool, _ s: JSONScanner) {
    let b = s.buffer
    switch v.kind {
    case .object:
      try? s.forEachMember(of: v) { k, member in
        collect(member, secret: Self.isSecretName(k, b), s)
      }
    case .array:
      try? s.forEachElement(of: v) { element in collect(element, secret: secret, s) }
    case .string:
      if !secret && !v.escaped {
        // Most strings hold no `=` and so no secret query parameter: tell from the source text,
        // which is the decoded text when nothing is escaped, without copying it.
        let raw = UnsafeRawBufferPointer(rebasing: b[Int(v.start)..<Int(v.end)])
        guard !raw.isEmpty, memchr(raw.baseAddress!, Int32(UInt8(ascii: "=")), raw.count) != nil,
          QueryRedactor.containsSecret(raw)
        else { return }
      }
      decoded.removeAll(keepingCapacity: true)
      JSONStrings.appendDecoded(v, in: b, to: &decoded)
      if !secret {
        let hasSecret = decoded.withUnsafeBytes { QueryRedactor.containsSecret($0) }
        guard hasSecret else { return }
      }
      let textStart = replacementText.count
      replacementText.append(UInt8(ascii: "\""))
      if secret {
        replacementText.append(contentsOf: "sha256:".utf8)
        decoded.withUnsafeBytes { secrets.appendHex(ofEncoded: $0, to: &replacementText) }
      } else {
        rewritten.removeAll(keepingCapacity: true)
        decoded.withUnsafeBytes { _ = queryRedactor.redact($0, appendingTo: &rewritten) }
        Self.appendEscaped(rewritten, to: &replacementText)
      }
      replacementText.append(UInt8(ascii: "\""))
      replacements.append((Int(v.start) - 1, Int(v.end) + 1, textStart, replacementText.count))
    default:
      break
    }
  }

  /// JSON string escaping of UTF-8 bytes (quotes, backslashes, control characters).
  static func appendEscaped(_ bytes: [UInt8], to out: inout [UInt8]) {
    let hex: [UInt8] = Array("0123456789abcdef".utf8)
    for c in bytes {
      switch c {
      case UInt8(ascii: "\""), UInt8(ascii: "\\"):
        out.append(UInt8(ascii: "\\"))
        out.append(c)
      case 0..<0x20:
        out.append(contentsOf: Array("\\u00".utf8))
        out.append(hex[Int(c >> 4)])
        out.append(hex[Int(c & 15)])
      default:
        out.append(c)
      }
    }
  }
}
