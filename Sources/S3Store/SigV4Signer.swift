import Crypto
import LogBytes

/// AWS Signature Version 4 for S3 and STS requests, computed as botocore computes it (the tests
/// compare canonical requests and signatures with botocore's on generated requests).
public struct SigV4Signer: Sendable {
  public var credentials: AWSCredentials
  public var region: String
  public var service: String

  public init(credentials: AWSCredentials, region: String, service: String = "s3") {
    self.credentials = credentials
    self.region = region
    self.service = service
  }

  /// SHA-256 of an empty body, the payload hash of every GET.
  public static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

  /// A request to sign: `path` is already URI-encoded (slashes kept), as sent on the wire;
  /// query parameters are given decoded and are encoded here.
  public struct Request: Sendable {
    public var method: String
    public var host: String
    public var path: String
    public var query: [(String, String)]
    public var headers: [(String, String)]
    public var payloadHash: String

    public init(
      method: String, host: String, path: String, query: [(String, String)] = [], headers: [(String, String)] = [],
      payloadHash: String = SigV4Signer.emptyPayloadHash
    ) {
      self.method = method
      self.host = host
      self.path = path
      self.query = query
      self.headers = headers
      self.payloadHash = payloadHash
    }

    /// The query string as sent (same encoding and order as signed).
    public var encodedQuery: String { SigV4Signer.canonicalQuery(query) }
  }

  /// The headers to send with the request: its own plus `host`, `x-amz-date`,
  /// `x-amz-content-sha256`, the session token if any, and `Authorization`.
  public func sign(_ request: Request, now: Double) -> [(String, String)] {
    let amzDate = Self.amzDate(now)
    var headers = request.headers
    headers.append(("host", request.host))
    headers.append(("x-amz-date", amzDate))
    if service == "s3" { headers.append(("x-amz-content-sha256", request.payloadHash)) }
    if let token = credentials.sessionToken { headers.append(("x-amz-security-token", token)) }
    let (canonical, signedHeaders) = canonicalRequest(request, headers: headers)
    let scope = "\(amzDate.prefix(8))/\(region)/\(service)/aws4_request"
    let stringToSign = Self.stringToSign(canonical, amzDate: amzDate, scope: scope)
    let signature = Hex.string(
      HMAC<SHA256>.authenticationCode(for: Array(stringToSign.utf8), using: signingKey(amzDate)))
    headers.append(
      (
        "Authorization",
        "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(scope), SignedHeaders=\(signedHeaders), "
          + "Signature=\(signature)"
      ))
    return headers.filter { $0.0 != "host" }
  }

  /// The canonical request and the signed-header list for `headers` (all of them are signed).
  public func canonicalRequest(_ request: Request, headers: [(String, String)]) -> (String, String) {
    var byName: [String: [String]] = [:]
    for (name, value) in headers { byName[name.lowercased(), default: []].append(Self.trimmed(value)) }
    let names = byName.keys.sorted()
    let canonicalHeaders = names.map { "\($0):\(byName[$0]!.joined(separator: ","))\n" }.joined()
    let signedHeaders = names.joined(separator: ";")
    let canonical = [
      request.method, request.path.isEmpty ? "/" : request.path, Self.canonicalQuery(request.query),
      canonicalHeaders, signedHeaders, request.payloadHash,
    ].joined(separator: "\n")
    return (canonical, signedHeaders)
  }

  static func stringToSign(_ canonical: String, amzDate: String, scope: String) -> String {
    "AWS4-HMAC-SHA256\n\(amzDate)\n\(scope)\n\(Hex.string(SHA256.hash(data: Array(canonical.utf8))))"
  }

  private func signingKey(_ amzDate: String) -> SymmetricKey {
    func mac(_ key: SymmetricKey, _ text: some StringProtocol) -> SymmetricKey {
      SymmetricKey(data: HMAC<SHA256>.authenticationCode(for: Array(text.utf8), using: key))
    }
    let kDate = mac(SymmetricKey(data: Array("AWS4\(credentials.secretAccessKey)".utf8)), amzDate.prefix(8))
    return mac(mac(mac(kDate, region), service), "aws4_request")
  }

  static func canonicalQuery(_ query: [(String, String)]) -> String {
    query.map { (URIEncoding.encode($0.0), URIEncoding.encode($0.1)) }
      .sorted { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
      .map { "\($0.0)=\($0.1)" }.joined(separator: "&")
  }

  /// Leading and trailing blanks removed, inner runs of spaces collapsed to one.
  static func trimmed(_ value: String) -> String {
    value.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
      .trimmingBlanks()
  }

  /// `YYYYMMDDTHHMMSSZ` for seconds since the epoch.
  public static func amzDate(_ seconds: Double) -> String {
    let t = Int64(seconds.rounded(.down))
    let days = t >= 0 ? t / 86400 : (t - 86399) / 86400
    let secs = t - days * 86400
    let (y, m, d) = TimeParser.civilFromDays(days)
    func two(_ v: some BinaryInteger) -> String { v < 10 ? "0\(v)" : "\(v)" }
    return "\(y)\(two(m))\(two(d))T\(two(secs / 3600))\(two(secs / 60 % 60))\(two(secs % 60))Z"
  }
}

extension StringProtocol {
  func trimmingBlanks() -> String {
    let blank: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
    guard let first = firstIndex(where: { !blank($0) }), let last = lastIndex(where: { !blank($0) }) else {
      return ""
    }
    return String(self[first...last])
  }
}
