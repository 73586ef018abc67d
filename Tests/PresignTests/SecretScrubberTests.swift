import Crypto
import Testing

@testable import Presign

/// The scrubber every stored text passes through: secrets in every encoding an attacker or a
/// client library can give them, in URLs, headers and JSON, are fingerprinted; nothing else moves.
@Suite struct SecretScrubberTests {
  static func hex(_ s: String) -> String {
    SHA256.hash(data: Array(s.utf8)).map { String(format: "%02x", $0) }.joined()
  }

  static func scrub(_ text: String) -> String {
    var s = SecretScrubber()
    return s.scrubbed(text)
  }

  static let secret = "SeCrEt0123456789abcdefAB+/="

  /// Each form puts `secret` where a client, a proxy or an attacker can: the forms the audit
  /// of the shards found verbatim, and the ordinary ones.
  static let forms: [(String, String)] = [
    ("plain", "/k?X-Amz-Signature=\(secret)&a=1"),
    ("lower case", "/k?x-amz-signature=\(secret)"),
    ("name percent-encoded", "/k?X%2DAmz%2DSignature=\(secret)"),
    ("name letters encoded", "/k?X-Amz-%53ignature=\(secret)"),
    ("token name encoded", "/k?X%2DAmz%2DSecurity%2DToken=\(secret)"),
    ("nested URL encoded once", "/login?next=%2Fk%3FX-Amz-Signature%3D\(secret)%26b%3D2"),
    ("nested URL encoded twice", "/login?next=%252Fk%253FX-Amz-Signature%253D\(secret)%2526b"),
    ("after a semicolon", "/k;X-Amz-Signature=\(secret)"),
    ("authorization header", "AWS4-HMAC-SHA256 Credential=AKIA/x, SignedHeaders=host,Signature=\(secret)"),
    ("user agent with a URL", "curl https://b.s3.amazonaws.com/k?X-Amz-Security-Token=\(secret) (x)"),
    ("JSON member", "{\"sessionToken\": \"\(secret)\"}"),
    ("JSON member escaped", "{\"X-Amz-Signatur\\u0065\":\"\(secret)\"}"),
    ("JSON member escaped token", "{\"sessionT\\u006fken\":\"\(secret)\"}"),
    ("JSON in a JSON string", "{\"policy\":\"{\\\"secretAccessKey\\\":\\\"\(secret)\\\"}\"}"),
    ("URL in a JSON string", "{\"url\":\"https:\\/\\/h\\/k?X-Amz-Signature=\(secret)\"}"),
    ("excerpt after a space", "bad line %3FX-Amz-Signature%3D\(secret)"),
    ("V2 signature", "/k?AWSAccessKeyId=AKIA&Expires=1&Signature=\(secret)"),
    ("underscored name", "aws_session_token=\(secret)"),
  ]

  @Test(arguments: forms)
  func secretIsFingerprintedInEveryForm(_ form: (String, String)) {
    let (label, text) = form
    let out = Self.scrub(text)
    // The secret is gone in every decoding of the output.
    for variant in [
      out, out.removingPercentEncoding ?? out, (out.removingPercentEncoding ?? out).removingPercentEncoding ?? out,
    ] {
      #expect(!variant.contains("SeCrEt0123456789"), "\(label): \(out)")
      #expect(!variant.replacingOccurrences(of: "\\", with: "").contains("SeCrEt0123456789"), "\(label): \(out)")
    }
    #expect(out.contains("sha256:\(Self.hex(Self.secret))"), "\(label): \(out)")
  }

  /// The fingerprint is the one the presign columns hold: SHA-256 of the decoded value, whatever
  /// encoding carried it (a `%2B` in the value is a `+`).
  @Test func fingerprintIsOfTheDecodedValue() {
    #expect(Self.scrub("?X-Amz-Signature=ab%2Bcd") == "?X-Amz-Signature=sha256:\(Self.hex("ab+cd"))")
    #expect(Self.scrub("%3FX-Amz-Signature%3Dab%252Bcd") == "%3FX-Amz-Signature%3Dsha256:\(Self.hex("ab+cd"))")
  }

  /// What is not a secret's value is kept byte for byte around the replacements.
  @Test func everythingElseIsKept() {
    let s = Self.hex("S1")
    #expect(Self.scrub("/k%3FX-Amz-Signature%3DS1%26b%3D2 x") == "/k%3FX-Amz-Signature%3Dsha256:\(s)%26b%3D2 x")
    #expect(Self.scrub("{\"sessionToken\":\"S1\",\"a\":1}") == "{\"sessionToken\":\"sha256:\(s)\",\"a\":1}")
    for text in [
      "GET /a?versionId=1 HTTP/1.1", "dt=2024-01-01/k.gz", "mysignature=1", "signatures=2", "{\"signed\":\"x\"}",
      "%E2%82%AC %ZZ \\q \\u12", "Signature", "\"Signature\"", "Signature=", "{\"sessionToken\":null}",
      "s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234=", "",
    ] {
      #expect(Self.scrub(text) == text)
    }
  }

  /// Scrubbing is idempotent: fingerprints already written (by the query redactor, or an earlier
  /// pass) are left as they are, and a scrubbed text holds nothing to scrub.
  @Test func scrubbingTwiceChangesNothing() {
    var rng = SystemRandomNumberGenerator()
    let pieces = [
      "&", "?", "%3F", "%26", "%3D", "%253D", "=", " ", ";", ",", "\"", ":", "\\u0065", "\\\"", "X-Amz-Signatur",
      "e", "Signature", "sessionToken", "X%2DAmz%2DSecurity%2DToken", "ab+/", "%2B", "%", "\\",
    ]
    for _ in 0..<3_000 {
      let text = (0..<Int.random(in: 0...12, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined()
      var scrubber = SecretScrubber()
      guard Array(text.utf8).withUnsafeBytes({ scrubber.scrub($0) }) else { continue }
      let once = scrubber.output
      #expect(!once.withUnsafeBytes { scrubber.scrub($0) }, "\(text) -> \(String(decoding: once, as: UTF8.self))")
    }
  }

  /// Reading a text as stored, where its escapes cannot make or hide a name, finds exactly what
  /// decoding it finds: the same output, byte for byte, over random texts of escapes, names,
  /// delimiters and value bytes.
  @Test func readingAsStoredFindsWhatDecodingFinds() {
    var rng = SystemRandomNumberGenerator()
    let pieces = [
      "&", "?", "%3F", "%26", "%2F", "%2B", "%3B", "%20", "%E2%82%AC", "%3D", "=", " ", ";", ",", "\"", ":",
      "X-Amz-Signature", "Signature", "sessionToken", "X-Amz-Security-Token", "ab", "/", "+", "%", "%2", "sha256:",
    ]
    for _ in 0..<5_000 {
      let text = (0..<Int.random(in: 0...12, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined()
      var asStored = SecretScrubber()
      var decoding = SecretScrubber()
      decoding.alwaysDecode = true
      #expect(asStored.scrubbed(text) == decoding.scrubbed(text), "\(text)")
    }
  }

  /// A text in which nothing is found holds nothing in its part after a `?` either (the shard
  /// writer stores the Request-URI's query unscanned when the URI held nothing): over random
  /// texts cut after every `?` and before every space after it.
  @Test func nothingInTheWholeMeansNothingInTheQuery() {
    var rng = SystemRandomNumberGenerator()
    let pieces = [
      "?", "&", "%3F", "%26", "%2F", "%3D", "%253D", "=", " ", ";", ",", "\"", ":", "\\u0065", "X-Amz-Signature",
      "Signature", "sessionToken", "X%2DAmz%2DSecurity%2DToken", "ab", "/", "+", "%", "\\", "sha256:", " HTTP/1.1",
    ]
    for _ in 0..<5_000 {
      let text = (0..<Int.random(in: 1...12, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined()
      var scrubber = SecretScrubber()
      guard !Array(text.utf8).withUnsafeBytes({ scrubber.scrub($0) }) else { continue }
      var rest = Substring(text)
      while let q = rest.firstIndex(of: "?") {
        rest = rest[rest.index(after: q)...]
        // The query ends at a space, or at the end.
        let ends = rest.indices.filter { rest[$0] == " " } + [rest.endIndex]
        for end in ends {
          let query = rest[..<end]
          #expect(!Array(query.utf8).withUnsafeBytes { scrubber.scrub($0) }, "\(text) | \(query)")
        }
      }
    }
  }

  /// The cheap test lets through every text that holds a secret (it is checked first on every
  /// stored value).
  @Test func preCheckPassesEveryTextWithASecret() {
    for (_, text) in Self.forms {
      #expect(Array(text.utf8).withUnsafeBytes { SecretScrubber.mayHoldSecret($0) })
    }
    #expect(
      !Array("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36".utf8).withUnsafeBytes {
        SecretScrubber.mayHoldSecret($0)
      })
  }
}
