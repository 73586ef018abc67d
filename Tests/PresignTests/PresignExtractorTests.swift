import Crypto
import Testing

@testable import Presign

@Suite struct PresignExtractorTests {
  /// 2020-12-03T02:41:17Z, the request time of the console sample.
  static let requestTime: Int64 = 1_606_963_277_000_000

  static func extract(_ query: String, at time: Int64 = requestTime) -> PresignFields? {
    var e = PresignExtractor()
    let found = Array(query.utf8).withUnsafeBytes { e.extract(query: $0, requestTimeMicros: time) }
    return found ? e.fields : nil
  }

  static func hex(_ s: String) -> String {
    SHA256.hash(data: Array(s.utf8)).map { String(format: "%02x", $0) }.joined()
  }

  static func string(_ b: [UInt8]) -> String { String(decoding: b, as: UTF8.self) }

  /// The cache answers every value with the hex of its decoded bytes, whether it remembers the
  /// value (a session's token, row after row) or has long forgotten it.
  @Test func fingerprintCacheIsRightForRepeatsAndEvictions() {
    var cache = FingerprintCache()
    let values = (0..<40).map { "T0K%2B\($0 % 23)-" + String(repeating: "x", count: $0 % 3) }
    for round in 0..<3 {
      for v in values.shuffled() + values {
        var out: [UInt8] = Array("p:".utf8)
        Array(v.utf8).withUnsafeBytes { cache.appendHex(ofEncoded: $0, to: &out) }
        #expect(Self.string(out) == "p:" + Self.hex(v.replacingOccurrences(of: "%2B", with: "+")), "round \(round)")
      }
    }
  }

  /// A cache of secrets decoded from JSON hashes them as they are: `%2B` stays three bytes.
  @Test func fingerprintCacheOfDecodedSecretsDoesNotPercentDecode() {
    var cache = FingerprintCache(percentEncoded: false)
    let values = (0..<40).map { "T0K%2B\($0 % 23)-" + String(repeating: "x", count: $0 % 3) }
    for v in values + values.shuffled() {
      var out: [UInt8] = []
      Array(v.utf8).withUnsafeBytes { cache.appendHex(ofEncoded: $0, to: &out) }
      #expect(Self.string(out) == Self.hex(v))
    }
  }

  @Test func sigV4WithSessionTokenInAnyOrder() throws {
    let token = "IQoJb3JpZ2luX2VjECsa+/="
    let q =
      "X-Amz-Security-Token=IQoJb3JpZ2luX2VjECsa%2B%2F%3D&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20201203T024116Z"
      + "&X-Amz-SignedHeaders=content-md5%3Bcontent-type%3Bhost&X-Amz-Expires=300"
      + "&X-Amz-Credential=ASIAYGDXMBRKKBQFGWWY%2F20201203%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Signature=abc123"
    let f = try #require(Self.extract(q))
    #expect(f.version == .sigV4)
    #expect(Self.string(f.algorithm) == "AWS4-HMAC-SHA256")
    #expect(Self.string(f.accessKeyID) == "ASIAYGDXMBRKKBQFGWWY")
    #expect(f.credentialDate == 18599)  // 2020-12-03
    #expect(Self.string(f.credentialRegion) == "us-east-1")
    #expect(Self.string(f.credentialService) == "s3")
    #expect(f.signedAtMicros == 1_606_963_276_000_000)
    #expect(f.expiresSeconds == 300)
    #expect(f.expiresAtMicros == 1_606_963_576_000_000)
    #expect(f.urlAgeSeconds == 1)
    #expect(f.usedAfterExpiry == false)
    #expect(Self.string(f.securityTokenSHA256) == Self.hex(token))
    #expect(Self.string(f.signatureSHA256) == Self.hex("abc123"))
    #expect(Self.string(f.signedHeaders) == "content-md5;content-type;host")
    #expect(f.keyKind == "ASIA")
  }

  @Test func sigV4WithoutTokenAfterExpiry() throws {
    let q =
      "response-content-disposition=attachment%3Bfilename%3Dx.mp4&X-Amz-Algorithm=AWS4-HMAC-SHA256"
      + "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20201202%2Feu-west-1%2Fs3%2Faws4_request"
      + "&X-Amz-Date=20201202T000000Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Signature=ff&x-id=GetObject"
    let f = try #require(Self.extract(q))
    #expect(f.keyKind == "AKIA")
    #expect(f.securityTokenSHA256.isEmpty)
    #expect(f.urlAgeSeconds == 96_077)
    #expect(f.usedAfterExpiry == true)
    #expect(Self.string(f.credentialRegion) == "eu-west-1")
  }

  @Test func sigV2WithEpochExpiry() throws {
    let q = "Signature=75eBWlMvIpO357%2FqKLdn0sZRP08%3D&Expires=1364127776&AWSAccessKeyId=1VYKRTJ5FFKT5B6F4NR2"
    let f = try #require(Self.extract(q, at: 1_364_120_576_000_000))
    #expect(f.version == .sigV2)
    #expect(Self.string(f.accessKeyID) == "1VYKRTJ5FFKT5B6F4NR2")
    #expect(f.keyKind == "other")
    #expect(f.expiresAtMicros == 1_364_127_776_000_000)
    #expect(f.signedAtMicros == nil)
    #expect(f.urlAgeSeconds == nil)
    #expect(f.usedAfterExpiry == false)
    #expect(Self.string(f.signatureSHA256) == Self.hex("75eBWlMvIpO357/qKLdn0sZRP08="))
    #expect(!f.hasAlgorithm && f.credentialDate == nil)
  }

  @Test func parameterNamesMatchIgnoringCase() throws {
    let f = try #require(
      Self.extract("x-amz-credential=AKIAX%2F20200101%2Fus-east-1%2Fs3%2Faws4_request&x-amz-date=20200101T000000Z"))
    #expect(f.version == .sigV4)
    #expect(Self.string(f.accessKeyID) == "AKIAX")
  }

  @Test func ordinaryQueriesAreNotPresigned() {
    #expect(Self.extract("versioning") == nil)
    #expect(Self.extract("list-type=2&prefix=a%2Fb&encoding-type=url") == nil)
    #expect(Self.extract("") == nil)
    #expect(Self.extract("partNumber=4&uploadId=qpR5BCc2") == nil)
  }

  /// Found by the query-string fuzzer: an Expires of 144444364127776 seconds overflowed the
  /// microsecond arithmetic and trapped.
  @Test func hugeExpiriesAreNoTimeRatherThanACrash() throws {
    let v2 = try #require(Self.extract("Signature=abc%3D&Expires=144444364127776&AWSAccessKeyId=AKIAX"))
    #expect(v2.expiresAtMicros == nil && v2.usedAfterExpiry == nil)
    let v4 = try #require(
      Self.extract("X-Amz-Date=20200101T000000Z&X-Amz-Expires=999999999999999999&X-Amz-Credential=AKIAX"))
    #expect(v4.expiresSeconds == 999_999_999_999_999_999)
    #expect(v4.expiresAtMicros == nil)
    #expect(v4.signedAtMicros == 1_577_836_800_000_000)
  }

  @Test func malformedValuesDoNotCrash() throws {
    let f = try #require(Self.extract("X-Amz-Date=2020&X-Amz-Expires=abc&X-Amz-Credential=%ZZ&X-Amz-Signature="))
    #expect(f.signedAtMicros == nil)
    #expect(f.expiresSeconds == nil)
    #expect(f.expiresAtMicros == nil)
    #expect(Self.string(f.accessKeyID) == "%ZZ")
    #expect(Self.string(f.signatureSHA256) == Self.hex(""))
  }
}

@Suite struct QueryRedactorTests {
  static func redact(_ s: String) -> (String, Bool) {
    var r = QueryRedactor()
    var out: [UInt8] = []
    let changed = Array(s.utf8).withUnsafeBytes { r.redact($0, appendingTo: &out) }
    return (String(decoding: out, as: UTF8.self), changed)
  }

  @Test func requestURIKeepsEverythingButSecrets() {
    let uri = "GET /b/k?X-Amz-Security-Token=T0K%2BEN&X-Amz-Date=20201203T024116Z&X-Amz-Signature=5151 HTTP/1.1"
    let (out, changed) = Self.redact(uri)
    #expect(changed)
    #expect(
      out
        == "GET /b/k?X-Amz-Security-Token=sha256:\(PresignExtractorTests.hex("T0K+EN"))&X-Amz-Date=20201203T024116Z"
        + "&X-Amz-Signature=sha256:\(PresignExtractorTests.hex("5151")) HTTP/1.1")
    #expect(!out.contains("T0K"))
  }

  @Test func bareQueryAndURLsAndSigV2() {
    #expect(
      Self.redact("Signature=abc&Expires=1").0 == "Signature=sha256:\(PresignExtractorTests.hex("abc"))&Expires=1")
    let url = "https://s3.amazonaws.com/p?a=1&signature=zz#frag"
    #expect(
      Self.redact(url).0 == "https://s3.amazonaws.com/p?a=1&signature=sha256:\(PresignExtractorTests.hex("zz"))#frag")
    #expect(Array(url.utf8).withUnsafeBytes { QueryRedactor.containsSecret($0) })
  }

  /// A URL nested unencoded in a parameter's value: its query alone (what the presign fields
  /// are read from) starts after the inner `?`, so the whole Request-URI and a referer must hide
  /// the same secrets.
  @Test func nestedURLsAreRedactedWhereverTheTextStarts() {
    let query = "next=/other?X-Amz-Signature=deadbeef01&X-Amz-Security-Token=T0K&a=b?c"
    let fingerprinted =
      "next=/other?X-Amz-Signature=sha256:\(PresignExtractorTests.hex("deadbeef01"))"
      + "&X-Amz-Security-Token=sha256:\(PresignExtractorTests.hex("T0K"))&a=b?c"
    #expect(Self.redact(query).0 == fingerprinted)
    #expect(Self.redact("GET /b/k?\(query) HTTP/1.1").0 == "GET /b/k?\(fingerprinted) HTTP/1.1")
    #expect(Self.redact("https://h/p?\(query)").0 == "https://h/p?\(fingerprinted)")
    #expect(
      PresignExtractorTests.extract(query)?.signatureSHA256 == Array(PresignExtractorTests.hex("deadbeef01").utf8))
  }

  /// A stray space or a fragment does not end the search: what follows is read as parameters
  /// too, in a query as in the whole Request-URI.
  @Test func secretsAfterSpacesAndFragmentsAreRedacted() {
    let s = PresignExtractorTests.hex("S1GN")
    #expect(Self.redact("a=b c&X-Amz-Signature=S1GN").0 == "a=b c&X-Amz-Signature=sha256:\(s)")
    #expect(
      Self.redact("GET /b/k?a=b c&X-Amz-Signature=S1GN HTTP/1.1").0
        == "GET /b/k?a=b c&X-Amz-Signature=sha256:\(s) HTTP/1.1")
    #expect(Self.redact("https://h/p#X-Amz-Signature=S1GN").0 == "https://h/p#X-Amz-Signature=sha256:\(s)")
    #expect(Self.redact("GET X-Amz-Signature=S1GN HTTP/1.1").0 == "GET X-Amz-Signature=sha256:\(s) HTTP/1.1")
    #expect(PresignExtractorTests.extract("a=b c&X-Amz-Signature=S1GN")?.signatureSHA256 == Array(s.utf8))
  }

  /// Redaction is local to the text between separators, so text cut at a separator redacts as
  /// its pieces do (the shard writer redacts a Request-URI's query once and builds the URI
  /// around it): checked over random texts of separators, `=`, secret names and letters.
  @Test func redactionSplitsAtEverySeparator() {
    var rng = SystemRandomNumberGenerator()
    let pieces = ["&", "?", "#", " ", "=", "X-Amz-Signature", "Signature", "X-Amz-Security-Token", "a", "%2F", "/k"]
    for _ in 0..<2_000 {
      func text() -> String {
        (0..<Int.random(in: 0...8, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined()
      }
      let (a, b) = (text(), text())
      for separator in ["&", "?", "#", " "] {
        #expect(Self.redact(a + separator + b).0 == Self.redact(a).0 + separator + Self.redact(b).0, "\(a)|\(b)")
      }
    }
  }

  /// Extraction that also redacts writes what the redactor writes and finds what extraction
  /// alone finds.
  @Test func extractionRedactsAsTheRedactorDoes() {
    var rng = SystemRandomNumberGenerator()
    let pieces = [
      "&", "?", "#", " ", "=", "X-Amz-Signature", "Signature", "X-Amz-Security-Token", "X-Amz-Date=20201203T024116Z",
      "X-Amz-Credential=AKIAEXAMPLE%2F20201203%2Fus-east-1%2Fs3%2Faws4_request", "Expires=1606963300", "a", "%2F",
    ]
    for _ in 0..<2_000 {
      let query = (0..<Int.random(in: 0...10, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined()
      var both = PresignExtractor()
      var cache = FingerprintCache()
      var redacted: [UInt8] = []
      let found = Array(query.utf8).withUnsafeBytes {
        both.extract(
          query: $0, requestTimeMicros: PresignExtractorTests.requestTime, cache: &cache, redactingInto: &redacted)
      }
      #expect(String(decoding: redacted, as: UTF8.self) == Self.redact(query).0, "\(query)")
      let alone = PresignExtractorTests.extract(query)
      #expect(found == (alone != nil))
      #expect(both.fields.signatureSHA256 == (alone?.signatureSHA256 ?? both.fields.signatureSHA256))
    }
  }

  @Test func textWithoutSecretsIsUnchanged() {
    for s in [
      "GET /a?versionId=1 HTTP/1.1", "GET /Signature HTTP/1.1", "GET /Signature=x/k HTTP/1.1", "x-amz-signaturex=1",
      "a=b=c&d", "??&&==  ##", "",
    ] {
      let (out, changed) = Self.redact(s)
      #expect(out == s)
      #expect(!changed)
    }
  }

  /// The word-at-a-time parameter walk finds what a byte loop finds: every text over the
  /// characters that matter, up to 12 bytes, then longer random ones across word boundaries.
  @Test func parameterWalkMatchesAByteLoop() {
    func reference(_ t: [UInt8]) -> [[Int]] {
      func isSeparator(_ b: UInt8) -> Bool { b == 0x26 || b == 0x3F || b == 0x20 || b == 0x23 }
      var found: [[Int]] = []
      var i = 0
      while i < t.count {
        let nameStart = i
        while i < t.count && !isSeparator(t[i]) && t[i] != 0x3D { i += 1 }
        if i < t.count && t[i] == 0x3D {
          let nameEnd = i
          i += 1
          let valueStart = i
          while i < t.count && !isSeparator(t[i]) { i += 1 }
          found.append([nameStart, nameEnd, valueStart, i])
        }
        i += 1
      }
      return found
    }
    func walked(_ t: [UInt8]) -> [[Int]] {
      t.withUnsafeBytes { raw in
        var found: [[Int]] = []
        QueryRedactor.forEachParameter(raw) { start, name, value in
          let base = raw.baseAddress!
          found.append([
            start, name.baseAddress! - base + name.count, value.baseAddress! - base,
            value.baseAddress! - base + value.count,
          ])
        }
        return found
      }
    }
    let alphabet: [UInt8] = Array("a=&? #%".utf8)
    var generator = SystemRandomNumberGenerator()
    var texts: [[UInt8]] = []
    for length in 0...12 {
      for _ in 0..<200 { texts.append((0..<length).map { _ in alphabet.randomElement(using: &generator)! }) }
    }
    for length in [15, 16, 17, 31, 32, 33, 100, 1_000] {
      for density in [2, 40] {
        texts.append(
          (0..<length).map { _ in
            Int.random(in: 0..<density, using: &generator) == 0 ? alphabet.randomElement(using: &generator)! : 0x61
          })
      }
    }
    for t in texts {
      #expect(walked(t) == reference(t), "\(String(decoding: t, as: UTF8.self))")
    }
  }
}
