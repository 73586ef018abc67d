/// The fields sigtrail keeps from one CloudTrail record, located in the record's buffer.
///
/// String fields are `JSONValue`s (decoded only when a column is filled); times and numbers are
/// parsed here because their forms vary (reference §6.2–6.3). A field that is absent, `null` or of
/// an unexpected JSON type is simply missing: the raw JSON columns keep everything.
public struct CloudTrailRecord: Sendable, Equatable {
  /// The record object itself.
  public var source = JSONValue.missing
  /// Fields taken from an EventBridge envelope because its `detail` lacked them (see
  /// `EnvelopeField`); 0 for every record not delivered in an envelope, or complete.
  public var envelopeFields: UInt8 = 0
  /// What the run's digests say of the record's file (set by the indexing run, not read).
  public var validation = LogValidation.notChecked
  public var eventTime = JSONValue.missing
  public var eventTimeMicros: Int64?
  public var eventID = JSONValue.missing
  public var eventVersion = JSONValue.missing
  public var eventSource = JSONValue.missing
  public var eventName = JSONValue.missing
  public var awsRegion = JSONValue.missing
  public var sourceIPAddress = JSONValue.missing
  public var userAgent = JSONValue.missing
  public var requestID = JSONValue.missing
  public var eventType = JSONValue.missing
  public var eventCategory = JSONValue.missing
  public var managementEvent: Bool?
  public var readOnly: Bool?
  public var recipientAccountID = JSONValue.missing
  public var sharedEventID = JSONValue.missing
  public var errorCode = JSONValue.missing
  public var errorMessage = JSONValue.missing
  public var vpcEndpointID = JSONValue.missing
  public var tlsVersion = JSONValue.missing
  public var cipherSuite = JSONValue.missing
  public var clientProvidedHostHeader = JSONValue.missing

  // userIdentity
  public var identityType = JSONValue.missing
  public var principalID = JSONValue.missing
  public var identityARN = JSONValue.missing
  public var identityAccountID = JSONValue.missing
  public var accessKeyID = JSONValue.missing
  public var userName = JSONValue.missing
  public var invokedBy = JSONValue.missing
  public var sessionIssuerType = JSONValue.missing
  public var sessionIssuerARN = JSONValue.missing
  public var sessionIssuerName = JSONValue.missing
  public var sessionCreatedMicros: Int64?
  public var mfaAuthenticated: Bool?
  public var ec2RoleDelivery = JSONValue.missing
  public var sourceIdentity = JSONValue.missing

  // S3 data events and presign parameters CloudTrail logs
  public var bucketName = JSONValue.missing
  public var objectKey = JSONValue.missing
  public var authenticationMethod = JSONValue.missing
  public var signatureVersion = JSONValue.missing
  public var bytesIn: Int64?
  public var bytesOut: Int64?
  public var amzAlgorithm = JSONValue.missing
  public var amzCredential = JSONValue.missing
  public var amzDate = JSONValue.missing
  public var amzExpires = JSONValue.missing
  public var amzSignedHeaders = JSONValue.missing

  // Lineage
  public var issuedAccessKeyID = JSONValue.missing
  public var issuedExpirationMicros: Int64?
  public var issuedSessionToken = JSONValue.missing
  public var roleARN = JSONValue.missing
  public var roleSessionName = JSONValue.missing
  public var assumedRoleARN = JSONValue.missing
  /// Instance ids named by `requestParameters.instancesSet.items[].instanceId`, in order.
  public var targetInstanceIDs: [JSONValue] = []

  // Raw sections, copied as JSON text with secrets fingerprinted
  public var requestParameters = JSONValue.missing
  public var responseElements = JSONValue.missing
  public var additionalEventData = JSONValue.missing
  public var resources = JSONValue.missing

  public init() {}

  mutating func reset() {
    var ids: [JSONValue] = []
    swap(&ids, &targetInstanceIDs)
    if !ids.isEmpty { ids.removeAll(keepingCapacity: true) }
    self = CloudTrailRecord()
    swap(&ids, &targetInstanceIDs)
  }
}

/// The fields an EventBridge envelope can supply when its `detail` lacks them: `time`, `region`
/// and `account` stand for `eventTime`, `awsRegion` and `recipientAccountId`.
public enum EnvelopeField: UInt8, CaseIterable, Sendable {
  case time = 1
  case region = 2
  case account = 4

  public var name: String {
    switch self {
    case .time: return "time"
    case .region: return "region"
    case .account: return "account"
    }
  }

  /// `time,region,account` for the bits set in `mask`, in that order; nil for none.
  public static func names(_ mask: UInt8) -> String? {
    let names = allCases.filter { mask & $0.rawValue != 0 }.map(\.name)
    return names.isEmpty ? nil : names.joined(separator: ",")
  }
}

/// What CloudTrail's own integrity proofs say of the file a record came from (see the digest
/// catalog in Pipeline). Digest signatures are not checked, and the text says so.
public enum LogValidation: UInt8, Sendable {
  /// No digest was read in the run: nothing was checked.
  case notChecked = 0
  /// A digest names the file and its SHA-256 (of the uncompressed content) matches.
  case verified = 1
  /// A digest names the file with another hash: the file was altered after delivery.
  case mismatch = 2
  /// Digests were read, none names the file.
  case noDigest = 3
  /// As `verified`, and the digest's own RSA signature checked against CloudTrail's public key.
  case signed = 4

  /// The column text; nil for `notChecked`.
  public var text: String? {
    switch self {
    case .notChecked: return nil
    case .verified: return "hash verified (digest signature not checked)"
    case .mismatch: return "hash mismatch"
    case .noDigest: return "no digest"
    case .signed: return "hash and digest signature verified"
    }
  }
}
