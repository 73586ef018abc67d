import LogBytes

/// What follows from a presigned request's parameters, computed the same way for an access-log
/// query string (`PresignExtractor`) and a CloudTrail data event (`CloudTrailLineage`).
public enum PresignDerivation {
  /// `AKIA` (long-term IAM user key), `ASIA` (temporary STS key) or `other`.
  @inlinable public static func keyKind(ofAccessKeyID id: some Collection<UInt8>) -> String {
    let prefix = id.prefix(4)
    if prefix.elementsEqual("AKIA".utf8) { return "AKIA" }
    if prefix.elementsEqual("ASIA".utf8) { return "ASIA" }
    return "other"
  }

  /// How many bytes of an `X-Amz-Credential` value (`AKID/20201203/us-east-1/s3/aws4_request`)
  /// are the key id: those before the first `/`.
  @inlinable public static func accessKeyIDLength(ofCredential credential: some Collection<UInt8>) -> Int {
    var n = 0
    for c in credential {
      if c == UInt8(ascii: "/") { break }
      n += 1
    }
    return n
  }

  /// When a URL expires, how old it was when used and whether it was used after it expired.
  public struct Timing: Sendable, Equatable {
    public var expiresAt: Int64?
    public var urlAgeSeconds: Int64?
    public var usedAfterExpiry: Bool?

    public init(expiresAt: Int64? = nil, urlAgeSeconds: Int64? = nil, usedAfterExpiry: Bool? = nil) {
      self.expiresAt = expiresAt
      self.urlAgeSeconds = urlAgeSeconds
      self.usedAfterExpiry = usedAfterExpiry
    }
  }

  /// SigV4: signed at `signedAt` for `expiresSeconds`; SigV2 gives `expiresAt` (its `Expires`)
  /// instead. Times in microseconds since the epoch.
  @inlinable public static func timing(usedAt: Int64, signedAt: Int64?, expiresSeconds: Int64?, expiresAt: Int64? = nil)
    -> Timing
  {
    var t = Timing(expiresAt: expiresAt)
    if let signed = signedAt {
      t.urlAgeSeconds = (usedAt - signed) / TimeParser.microsPerSecond
      if let e = expiresSeconds { t.expiresAt = TimeParser.micros(signed, plusSeconds: e) }
    }
    if let e = t.expiresAt { t.usedAfterExpiry = usedAt > e }
    return t
  }
}
