import LogBytes
import NIOCore
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// The S3 requests sigtrail makes (ListObjectsV2, GET with ranges and If-Match), signed with
/// SigV4 and retried with backoff and full jitter on throttling, server errors, timeouts and
/// resets; a bucket in another region is followed once its region is known.
public final class S3Client: Sendable {
  public let transport: HTTPTransport
  let credentials: CredentialProvider
  let addressing: S3Addressing
  let defaultRegion: String
  private let regions = Mutex<[String: String]>([:])
  public let maxAttempts: Int
  /// Backoff: attempt n waits a random time up to min(cap, base × 2^n) seconds.
  let backoffBase: Double
  let backoffCap: Double
  /// Called on every retry with what failed (for the run's progress and notes).
  let onRetry: @Sendable (String) -> Void

  public init(
    transport: HTTPTransport, credentials: CredentialProvider, addressing: S3Addressing, region: String,
    maxAttempts: Int = 6, backoffBase: Double = 0.1, backoffCap: Double = 8,
    onRetry: @escaping @Sendable (String) -> Void = { _ in }
  ) {
    self.transport = transport
    self.credentials = credentials
    self.addressing = addressing
    self.defaultRegion = region
    self.maxAttempts = maxAttempts
    self.backoffBase = backoffBase
    self.backoffCap = backoffCap
    self.onRetry = onRetry
  }

  public func region(of bucket: String) -> String { regions.withLock { $0[bucket] } ?? defaultRegion }

  static func now() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_REALTIME, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
  }

  /// A signed request for `bucket`/`key` (key nil: the bucket itself) in the bucket's region.
  func prepare(
    _ method: String, bucket: String, key: String?, query: [(String, String)], headers: [(String, String)],
    payloadHash: String = SigV4Signer.emptyPayloadHash
  ) async throws -> (url: String, headers: [(String, String)], region: String) {
    let region = region(of: bucket)
    let (endpoint, prefix) = addressing.locate(bucket: bucket, region: region)
    var path = prefix
    if let key { path += "/" + URIEncoding.encode(key, keepSlash: true) }
    if path.isEmpty { path = "/" }
    let request = SigV4Signer.Request(
      method: method, host: endpoint.hostHeader, path: path, query: query, headers: headers, payloadHash: payloadHash)
    let creds = try await credentials.current(now: Self.now())
    let signed = SigV4Signer(credentials: creds, region: region, service: "s3").sign(request, now: Self.now())
    let q = request.encodedQuery
    return (endpoint.base + path + (q.isEmpty ? "" : "?" + q), signed, region)
  }

  /// What an error reply means: S3's code and message, and whether to try again.
  enum Verdict {
    case retry(String)
    case redirected(region: String)
    case fail(S3Error)
  }

  func verdict(_ reply: HTTPReply, url: String, region: String) -> Verdict {
    let xml = reply.text[...]
    let code = XMLText.first("Code", in: xml) ?? (reply.status == 404 ? "NoSuchKey" : "HTTP\(reply.status)")
    let message = XMLText.first("Message", in: xml) ?? ""
    if let other = reply.header("x-amz-bucket-region") ?? XMLText.first("Region", in: xml), other != region,
      [301, 307, 400].contains(reply.status)
    {
      return .redirected(region: other)
    }
    if [500, 502, 503, 504, 429].contains(reply.status) || code == "SlowDown" || code == "RequestTimeout"
      || code == "InternalError"
    {
      return .retry("\(code) (HTTP \(reply.status))")
    }
    if code == "ExpiredToken" || code == "TokenRefreshRequired" {
      credentials.invalidate()
      return .retry(code)
    }
    return .fail(.service(url: url, status: reply.status, code: code, message: message))
  }

  /// Runs `attempt` until it succeeds, fails for good, or `maxAttempts` are spent.
  func withRetries<T>(url: String, _ attempt: (Int) async throws -> T) async throws -> T {
    var n = 0
    var redirects = 0
    while true {
      do {
        return try await attempt(n)
      } catch let error as RetryableFailure {
        if case .redirected = error.kind, redirects < 3 {
          redirects += 1
          continue
        }
        n += 1
        guard n < maxAttempts else { throw S3Error.transport(url: url, reason: error.reason, attempts: n) }
        onRetry("\(url): \(error.reason); retrying")
        let wait = Double.random(in: 0...min(backoffCap, backoffBase * Double(1 << min(n, 20))))
        try await Task.sleep(nanoseconds: UInt64(wait * 1e9))
      }
    }
  }

  struct RetryableFailure: Error {
    enum Kind {
      case transient
      case redirected
    }
    var kind: Kind
    var reason: String
  }

  func check(_ reply: HTTPReply, url: String, region: String, bucket: String) throws {
    switch verdict(reply, url: url, region: region) {
    case .retry(let reason): throw RetryableFailure(kind: .transient, reason: reason)
    case .redirected(let other):
      regions.withLock { $0[bucket] = other }
      throw RetryableFailure(kind: .redirected, reason: "bucket is in \(other)")
    case .fail(let error): throw error
    }
  }

  // MARK: listing

  /// One page of ListObjectsV2 under `prefix`, with keys URL-encoded on the wire (a key may hold
  /// bytes XML cannot) and decoded here.
  public func listPage(
    bucket: String, prefix: String, delimiter: String? = nil, continuationToken: String? = nil,
    startAfter: String? = nil, maxKeys: Int = 1000
  ) async throws -> ListPage {
    var query = [("list-type", "2"), ("prefix", prefix), ("encoding-type", "url"), ("max-keys", String(maxKeys))]
    if let delimiter { query.append(("delimiter", delimiter)) }
    if let continuationToken { query.append(("continuation-token", continuationToken)) }
    if let startAfter { query.append(("start-after", startAfter)) }
    let url = "s3://\(bucket)/\(prefix)"
    return try await withRetries(url: url) { _ in
      let (address, headers, region) = try await prepare("GET", bucket: bucket, key: nil, query: query, headers: [])
      let reply: HTTPReply
      do {
        reply = try await transport.send("GET", address, headers: headers)
      } catch let error as TransportError {
        throw RetryableFailure(kind: .transient, reason: error.description)
      }
      if reply.status != 200 { try check(reply, url: url, region: region, bucket: bucket) }
      return Self.parseList(reply.text[...], bucket: bucket)
    }
  }

  static func parseList(_ xml: Substring, bucket: String) -> ListPage {
    var page = ListPage()
    let encoded = XMLText.first("EncodingType", in: xml) == "url"
    func name(_ raw: Substring) -> String {
      let text = XMLText.decode(raw)
      guard encoded else { return text }
      var out: [UInt8] = []
      let plus = Array(text.utf8).map { $0 == UInt8(ascii: "+") ? UInt8(ascii: " ") : $0 }
      plus.withUnsafeBytes { PercentDecoding.decode($0, appendingTo: &out) }
      return String(decoding: out, as: UTF8.self)
    }
    for item in XMLText.elements("Contents", in: xml) {
      guard let key = XMLText.elements("Key", in: item).first else { continue }
      let modified = XMLText.first("LastModified", in: item).flatMap { text in
        Array(text.utf8).withUnsafeBytes { TimeParser.parseISO8601($0) }
      }
      page.objects.append(
        S3Object(
          bucket: bucket, key: name(key), size: Int64(XMLText.first("Size", in: item) ?? "") ?? 0,
          etag: XMLText.first("ETag", in: item) ?? "", lastModifiedNanos: (modified ?? 0) * 1000))
    }
    for item in XMLText.elements("CommonPrefixes", in: xml) {
      if let p = XMLText.elements("Prefix", in: item).first { page.prefixes.append(name(p)) }
    }
    if XMLText.first("IsTruncated", in: xml) == "true" {
      page.nextToken = XMLText.first("NextContinuationToken", in: xml)
    }
    return page
  }

  // MARK: objects

  /// Reads `object`'s bytes in `range` (all of it when nil), handing each received part to
  /// `write` with its offset in the object. A body cut off mid-way (reset, timeout) is resumed
  /// with a ranged GET from the first byte not received, so every byte is written once; every
  /// request carries `If-Match` with the listed ETag, so an object rewritten meanwhile fails
  /// with `.changed` instead of mixing two versions.
  public func read(
    _ object: S3Object, range: Range<Int64>? = nil, onHeaders: ([(String, String)]) -> Void = { _ in },
    write: (Int64, ByteBuffer) throws -> Void
  ) async throws {
    let whole = range ?? 0..<object.size
    var next = whole.lowerBound
    try await withRetries(url: object.url) { _ in
      var headers: [(String, String)] = []
      if !object.etag.isEmpty { headers.append(("if-match", object.etag)) }
      let wantsRange = range != nil || next > 0
      if wantsRange {
        guard next < whole.upperBound else { return }
        headers.append(("range", "bytes=\(next)-\(whole.upperBound - 1)"))
      }
      let (address, signed, region) = try await prepare(
        "GET", bucket: object.bucket, key: object.key, query: [], headers: headers)
      var failure: Error?
      do {
        let reply = try await transport.stream(
          "GET", address, headers: signed,
          accept: { status, replyHeaders in
            guard status == 200 || status == 206 else { return false }
            onHeaders(replyHeaders)
            if !wantsRange && status == 200 {
              // A GET without a range must deliver the object listed, and nothing else.
              let length = replyHeaders.first { $0.0.lowercased() == "content-length" }.flatMap { Int64($0.1) }
              if let length, length != object.size {
                failure = S3Error.changed(
                  url: object.url, reason: "size is now \(length), listed as \(object.size): changed while read")
                return false
              }
            }
            if wantsRange && status == 200 && next > 0 {
              failure = S3Error.changed(url: object.url, reason: "server ignored the range of a resumed read")
              return false
            }
            return true
          },
          onBody: { part in
            let room = whole.upperBound - next
            if Int64(part.readableBytes) > room {
              throw S3Error.changed(url: object.url, reason: "more bytes than listed: changed while read")
            }
            try write(next, part)
            next += Int64(part.readableBytes)
          })
        if let failure { throw failure }
        if reply.status != 200 && reply.status != 206 {
          if reply.status == 412 {
            throw S3Error.changed(url: object.url, reason: "ETag changed since it was listed (rewritten while read)")
          }
          if reply.status == 404 {
            throw S3Error.changed(url: object.url, reason: "vanished since it was listed (NoSuchKey)")
          }
          try check(reply, url: object.url, region: region, bucket: object.bucket)
        }
      } catch let error as TransportError {
        throw RetryableFailure(
          kind: .transient, reason: "\(error.description) after \(next - whole.lowerBound) bytes")
      }
      if next < whole.upperBound {
        throw RetryableFailure(
          kind: .transient,
          reason: "body ended after \(next - whole.lowerBound) of \(whole.upperBound - whole.lowerBound) bytes")
      }
    }
  }
}
