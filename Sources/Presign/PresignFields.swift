/// Which query-string signing scheme a request used.
public enum PresignVersion: String, Sendable {
  case sigV4 = "SigV4"
  case sigV2 = "SigV2"
}

/// What a presigned request reveals about its URL, with every secret already reduced to a
/// SHA-256 fingerprint. Buffers are reused from request to request.
public struct PresignFields: Sendable {
  public var version: PresignVersion?
  /// `X-Amz-Algorithm`, decoded (`AWS4-HMAC-SHA256`).
  public var algorithm: [UInt8] = []
  public var hasAlgorithm = false
  /// Access key id: from `X-Amz-Credential` (SigV4) or `AWSAccessKeyId` (SigV2).
  public var accessKeyID: [UInt8] = []
  public var hasAccessKeyID = false
  /// Credential scope date, days since the epoch.
  public var credentialDate: Int64?
  public var credentialRegion: [UInt8] = []
  public var hasCredentialRegion = false
  public var credentialService: [UInt8] = []
  public var hasCredentialService = false
  /// `X-Amz-Date`, microseconds since the epoch.
  public var signedAtMicros: Int64?
  /// `X-Amz-Expires`, seconds.
  public var expiresSeconds: Int64?
  /// SigV4: signed_at + X-Amz-Expires; SigV2: `Expires` (epoch seconds).
  public var expiresAtMicros: Int64?
  /// Request time − signed_at, seconds (SigV4 only: SigV2 URLs do not say when they were signed).
  public var urlAgeSeconds: Int64?
  /// The request arrived after the URL's own expiry.
  public var usedAfterExpiry: Bool?
  /// Lower-case hex SHA-256 of the decoded `X-Amz-Security-Token`; empty when absent.
  public var securityTokenSHA256: [UInt8] = []
  /// Lower-case hex SHA-256 of the decoded signature: one value per distinct URL.
  public var signatureSHA256: [UInt8] = []
  /// `X-Amz-SignedHeaders`, decoded (`host` or `content-md5;content-type;host`).
  public var signedHeaders: [UInt8] = []
  public var hasSignedHeaders = false

  public init() {}

  /// `AKIA` (long-term IAM user key), `ASIA` (temporary STS key) or `other`; nil without a key.
  public var keyKind: String? { hasAccessKeyID ? PresignDerivation.keyKind(ofAccessKeyID: accessKeyID) : nil }

  /// Empty buffers are left alone: emptying even an empty array goes through the generic
  /// range replacement, and most requests are not presigned.
  mutating func reset() {
    version = nil
    if !algorithm.isEmpty { algorithm.removeAll(keepingCapacity: true) }
    hasAlgorithm = false
    if !accessKeyID.isEmpty { accessKeyID.removeAll(keepingCapacity: true) }
    hasAccessKeyID = false
    credentialDate = nil
    if !credentialRegion.isEmpty { credentialRegion.removeAll(keepingCapacity: true) }
    hasCredentialRegion = false
    if !credentialService.isEmpty { credentialService.removeAll(keepingCapacity: true) }
    hasCredentialService = false
    signedAtMicros = nil
    expiresSeconds = nil
    expiresAtMicros = nil
    urlAgeSeconds = nil
    usedAfterExpiry = nil
    if !securityTokenSHA256.isEmpty { securityTokenSHA256.removeAll(keepingCapacity: true) }
    if !signatureSHA256.isEmpty { signatureSHA256.removeAll(keepingCapacity: true) }
    if !signedHeaders.isEmpty { signedHeaders.removeAll(keepingCapacity: true) }
    hasSignedHeaders = false
  }
}
