/// An access key, its secret and, for temporary credentials, the session token and expiry.
/// Never printed: `description` names the key id's last four characters and the source only.
public struct AWSCredentials: Sendable, Equatable, CustomStringConvertible {
  public var accessKeyID: String
  public var secretAccessKey: String
  public var sessionToken: String?
  /// Seconds since the epoch when temporary credentials stop working; nil for long-term keys.
  public var expiration: Double?
  /// Where they came from ("environment", "profile default", "web identity", ...), for messages.
  public var source: String

  public init(
    accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil, expiration: Double? = nil,
    source: String
  ) {
    self.accessKeyID = accessKeyID
    self.secretAccessKey = secretAccessKey
    self.sessionToken = sessionToken?.isEmpty == true ? nil : sessionToken
    self.expiration = expiration
    self.source = source
  }

  public var description: String { "credentials from \(source) (key …\(accessKeyID.suffix(4)))" }
}
