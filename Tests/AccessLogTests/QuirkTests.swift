import Testing

@testable import AccessLog

/// Quirks from the format reference §4 and §10 that the public samples do not all show.
@Suite struct QuirkTests {
  static let tail =
    " 200 - 512 512 10 9 \"-\" \"curl/8.5.0\" - aGVsbG8= SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader b.s3.amazonaws.com TLSv1.2"

  static func line(
    requester: String = "arn:aws:iam::123456789012:user/alice", ip: String = "192.0.2.1",
    uri: String = "\"GET /k HTTP/1.1\"", requestID: String = "3E57427F33A59F07", op: String = "REST.GET.OBJECT"
  ) -> String {
    "79a5 bucket [06/Feb/2019:00:00:38 +0000] \(ip) \(requester) \(requestID) \(op) k \(uri)" + tail
  }

  @Test func cloudFrontOriginAccessIdentityRequesterWithSpaces() {
    let p = Parsed(Self.line(requester: "arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E2EXAMPLEID"))
    #expect(p.rejection == nil)
    #expect(p.text(\.requester) == "arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E2EXAMPLEID")
    #expect(p.text(\.requestID) == "3E57427F33A59F07")
    #expect(p.text(\.operation) == "REST.GET.OBJECT")
  }

  @Test func fourPartOperationWithUUIDRequestID() {
    let p = Parsed(Self.line(requestID: "e5042925-b524-4b3b-a869-f3881e78ff3a", op: "S3.COMPUTE.OBJECT.CHECKSUM"))
    #expect(p.rejection == nil)
    #expect(p.text(\.requestID) == "e5042925-b524-4b3b-a869-f3881e78ff3a")
    #expect(p.text(\.operation) == "S3.COMPUTE.OBJECT.CHECKSUM")
  }

  @Test func ipv6AndDashRemoteIP() {
    #expect(Parsed(Self.line(ip: "2001:db8::8a2e:370:7334")).text(\.remoteIP) == "2001:db8::8a2e:370:7334")
    #expect(Parsed(Self.line(ip: "0123:4567:89ab:cdef::1.2.3.4")).text(\.remoteIP) == "0123:4567:89ab:cdef::1.2.3.4")
    #expect(Parsed(Self.line(ip: "-")).text(\.remoteIP) == nil)
  }

  @Test func quotedAndBareNulls() {
    #expect(Parsed(Self.line(uri: "-")).text(\.requestURI) == nil)
    #expect(Parsed(Self.line(uri: "\"-\"")).text(\.requestURI) == nil)
    let empty = Parsed(Self.line().replacingOccurrences(of: "\"curl/8.5.0\"", with: "\"\""))
    #expect(empty.rejection == nil)
    #expect(empty.text(\.userAgent) == "")
    let bare = Parsed(Self.line().replacingOccurrences(of: "\"-\" \"curl/8.5.0\"", with: "- -"))
    #expect(bare.text(\.referer) == nil)
    #expect(bare.text(\.userAgent) == nil)
  }

  @Test func rawQuoteInsideRequestURI() {
    let p = Parsed(Self.line(uri: "\"GET /\" HTTP/1.1\""))
    #expect(p.rejection == nil)
    #expect(p.text(\.requestURI) == "GET /\" HTTP/1.1")
    #expect(p.record.httpStatus == 200)
    let backslash = Parsed(Self.line(uri: "\"GET a\\\" HTTP/1.1\""))
    #expect(backslash.text(\.requestURI) == "GET a\\\" HTTP/1.1")
  }

  @Test func trailingRawQuoteInUserAgent() {
    let p = Parsed(Self.line().replacingOccurrences(of: "\"curl/8.5.0\"", with: "\"Mobile Safari/604.1\"\""))
    #expect(p.text(\.userAgent) == "Mobile Safari/604.1\"")
    #expect(p.text(\.hostID) == "aGVsbG8=")
  }

  @Test func refererWithSpaces() {
    let p = Parsed(Self.line().replacingOccurrences(of: "\"-\" \"curl", with: "\"referring referrer\" \"curl"))
    #expect(p.text(\.referer) == "referring referrer")
  }

  @Test func invalidUTF8BytesStayBytes() {
    let text = Self.line()
    var bytes = Array(text.utf8)
    let at = text.utf8.distance(
      from: text.utf8.startIndex, to: text.range(of: "\"curl")!.upperBound.samePosition(in: text.utf8)!)
    bytes.insert(contentsOf: [0xFF, 0xFE], at: at)
    let p = Parsed(bytes: bytes)
    #expect(p.rejection == nil)
    #expect(p.record.userAgent.length == Int32("curl/8.5.0".utf8.count + 2))
  }

  @Test func crlfLineEnding() {
    let p = Parsed(Self.line() + "\r")
    #expect(p.rejection == nil)
    #expect(p.text(\.tlsVersion) == "TLSv1.2")
  }

  @Test func rejectionsNameTheBrokenField() {
    #expect(Parsed("").rejection == .emptyLine)
    #expect(Parsed("   ").rejection == .emptyLine)
    #expect(Parsed("79a5 bucket").rejection == .badTime)
    #expect(Parsed(Self.line().replacingOccurrences(of: "Feb", with: "Fev")).rejection == .badTime)
    #expect(
      Parsed(Self.line().replacingOccurrences(of: "[06/", with: "[31/").replacingOccurrences(of: "Feb", with: "Apr"))
        .rejection == .badTime)
    #expect(Parsed(Self.line(uri: "GET")).rejection == .badRequestURI)
    #expect(Parsed(Self.line(uri: "\"GET /k HTTP/1.1")).rejection == .badRequestURI)
    #expect(Parsed(Self.line().replacingOccurrences(of: "\" 200 ", with: "\" 2x0 ")).rejection == .badHTTPStatus)
    #expect(Parsed(Self.line(uri: "-").replacingOccurrences(of: " 200 ", with: " 2000 ")).rejection == .badHTTPStatus)
    #expect(Parsed(Self.line().replacingOccurrences(of: " 512 512 ", with: " 512 5l2 ")).rejection == .badNumber)
    #expect(Parsed(Self.line(requester: "arn:x [06/Feb/2019:00:00:38")).rejection == .noRequestIDAfterRequester)
    let head = Self.line().components(separatedBy: " \"GET")[0]
    #expect(Parsed(head).rejection == .tooFewFields)
  }

  @Test func everyPrefixOfALineIsHandled() {
    // Truncation at any byte either parses (a shorter era) or is a rejection, never a crash.
    let full = Array(Self.line().utf8)
    for n in 0...full.count {
      let p = Parsed(bytes: Array(full[0..<n]))
      if p.rejection == nil { #expect(p.record.fieldCount >= 17) }
    }
  }
}
