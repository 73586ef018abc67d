/// A base URL (`scheme://host[:port]`), as given by `--endpoint-url` or built for AWS.
public struct Endpoint: Sendable, Equatable {
  public var scheme: String
  public var host: String
  public var port: Int?

  public init(_ url: String) throws {
    guard let sep = url.range(of: "://") else {
      throw S3Error.config("endpoint '\(url)' has no scheme (http:// or https://)")
    }
    scheme = url[..<sep.lowerBound].lowercased()
    guard scheme == "http" || scheme == "https" else {
      throw S3Error.config("endpoint '\(url)': scheme must be http or https")
    }
    let authority = url[sep.upperBound...].prefix { $0 != "/" }
    if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
      host = String(authority[...close])
      port = Int(authority[authority.index(after: close)...].dropFirst())
    } else if let colon = authority.lastIndex(of: ":") {
      host = String(authority[..<colon])
      port = Int(authority[authority.index(after: colon)...])
    } else {
      host = String(authority)
    }
    guard !host.isEmpty else { throw S3Error.config("endpoint '\(url)' has no host") }
  }

  init(scheme: String, host: String, port: Int?) {
    self.scheme = scheme
    self.host = host
    self.port = port
  }

  /// What the Host header holds (and SigV4 signs): the port only when it is not the default.
  public var hostHeader: String {
    guard let port, port != (scheme == "https" ? 443 : 80) else { return host }
    return "\(host):\(port)"
  }

  public var base: String { "\(scheme)://\(hostHeader)" }

  /// An IP address or `localhost`: there is no DNS name per bucket, so path-style addressing.
  public var isAddress: Bool {
    host == "localhost" || host.hasPrefix("[")
      || host.split(separator: ".").count == 4
        && host.split(separator: ".").allSatisfy { UInt8($0) != nil }
  }
}

/// Where a bucket's requests go and how they are addressed.
public struct S3Addressing: Sendable {
  /// `--endpoint-url` / `AWS_ENDPOINT_URL_S3` / `AWS_ENDPOINT_URL`; nil for AWS itself.
  public var endpoint: Endpoint?
  /// Bucket in the path (`host/bucket/key`) rather than in the host name.
  public var forcePathStyle: Bool

  public init(endpoint: Endpoint?, forcePathStyle: Bool) {
    self.endpoint = endpoint
    self.forcePathStyle = forcePathStyle
  }

  /// The endpoint and the path prefix for `bucket` in `region`.
  public func locate(bucket: String, region: String) -> (endpoint: Endpoint, pathPrefix: String) {
    let base = endpoint ?? Endpoint(scheme: "https", host: "s3.\(region).amazonaws.com", port: nil)
    // Dotted bucket names do not match the wildcard certificate of virtual hosts.
    if forcePathStyle || base.isAddress || (endpoint == nil && bucket.contains(".")) {
      return (base, "/" + URIEncoding.encode(bucket))
    }
    var virtual = base
    virtual.host = "\(bucket).\(base.host)"
    return (virtual, "")
  }
}
