import CloudTrail
import LogBytes
import Parquet
import Presign
import ShardSchema

/// Rows of the `cloudtrail` table being gathered for one partition.
struct CloudTrailBatch: ShardBatch {
  static var tableName: String { CloudTrailSchema.tableName }
  static var schemaVersion: String { CloudTrailSchema.schemaVersion }
  static var schema: Schema { CloudTrailSchema.schema }

  private var columns = ColumnSet(schema: CloudTrailSchema.schema)
  private var redactor = JSONRedactor()
  private var scratch: [UInt8] = []
  private var hex: [UInt8] = []
  /// Whether the record being appended is all ASCII: then so is every string in it that has no
  /// escapes, and its ~60 values skip a check each (checked once over the record instead).
  private var recordIsASCII = false
  private let timeSlot: Int

  init() {
    timeSlot = columns.slot(CloudTrailColumn.eventTime.rawValue)
  }

  var count: Int { columns.count(int64: timeSlot) }
  var approximateBytes: Int { columns.allocatedBytes }
  mutating func removeAll() { columns.removeAll() }

  /// Sorted by time, then event id, then arrival, so the order never depends on scheduling.
  /// Every delivery is kept, duplicates included (readers count DISTINCT event_id): a second
  /// delivery can arrive on another night anyway, and nothing is dropped unseen.
  func outputOrder() -> [Int32] {
    var order = (0..<Int32(count)).map { $0 }
    columns.withInt64s(timeSlot) { eventTimes in
      columns.withText(columns.slot(Column.eventID.rawValue)) { id in
        order.sort { a, b in
          let ta = eventTimes[Int(a)]
          let tb = eventTimes[Int(b)]
          if ta != tb { return ta < tb }
          let ia = id(Int(a))
          let ib = id(Int(b))
          if !ia.elementsEqual(ib) { return ia.lexicographicallyPrecedes(ib) }
          return a < b
        }
      }
    }
    return order
  }

  func columnInputs() -> [ColumnInput] { columns.columnInputs() }
  var isFull: Bool { columns.isFull }

  private typealias Column = CloudTrailColumn

  @inline(__always)
  private mutating func put(_ c: Column, _ v: JSONValue, _ b: UnsafeRawBufferPointer) {
    let index = columns.slot(c.rawValue)
    guard v.kind == .string else {
      columns.appendNull(index)
      return
    }
    if v.escaped {
      scratch.removeAll(keepingCapacity: true)
      JSONStrings.appendDecoded(v, in: b, to: &scratch)
      scratch.withUnsafeBytes { columns.appendText(index, $0) }
    } else {
      columns.appendText(index, v.bytes(in: b), ascii: recordIsASCII)
    }
  }

  @inline(__always)
  private mutating func putNull(_ c: Column) { columns.appendNull(columns.slot(c.rawValue)) }

  @inline(__always)
  private mutating func put(_ c: Column, view: UnsafeRawBufferPointer?) {
    let index = columns.slot(c.rawValue)
    if let view { columns.appendText(index, view) } else { columns.appendNull(index) }
  }

  @inline(__always)
  private mutating func put(_ c: Column, _ v: Int64?) {
    columns.append(columns.slot(c.rawValue), int64: v)
  }

  @inline(__always)
  private mutating func put(_ c: Column, _ v: Bool?) {
    columns.append(columns.slot(c.rawValue), bool: v)
  }

  private mutating func putJSON(_ c: Column, _ v: JSONValue, _ scanner: JSONScanner) {
    let index = columns.slot(c.rawValue)
    guard !v.isNullish else {
      columns.appendNull(index)
      return
    }
    scratch.removeAll(keepingCapacity: true)
    redactor.append(v, scanner: scanner, to: &scratch)
    scratch.withUnsafeBytes { columns.appendText(index, $0) }
  }

  mutating func append(
    _ record: UnsafePointer<CloudTrailRecord>, eventTime: Int64, scanner: JSONScanner,
    sourceFile: UnsafeRawBufferPointer, offset: Int64
  ) {
    let r = record.pointee
    let b = scanner.buffer
    recordIsASCII = r.source.isMissing ? false : UTF8Sanitizer.isASCII(r.source.sourceBytes(in: b))
    columns.append(timeSlot, int64: eventTime)
    put(.eventID, r.eventID, b)
    put(.eventVersion, r.eventVersion, b)
    put(.eventSource, r.eventSource, b)
    put(.eventName, r.eventName, b)
    put(.awsRegion, r.awsRegion, b)
    put(.sourceIP, r.sourceIPAddress, b)
    put(.userAgent, r.userAgent, b)
    put(.requestID, r.requestID, b)
    put(.eventType, r.eventType, b)
    put(.eventCategory, r.eventCategory, b)
    put(.managementEvent, r.managementEvent)
    put(.readOnly, r.readOnly)
    put(.recipientAccountID, r.recipientAccountID, b)
    put(.sharedEventID, r.sharedEventID, b)
    put(.errorCode, r.errorCode, b)
    put(.errorMessage, r.errorMessage, b)
    put(.vpcEndpointID, r.vpcEndpointID, b)
    put(.tlsVersion, r.tlsVersion, b)
    put(.cipherSuite, r.cipherSuite, b)
    put(.clientProvidedHostHeader, r.clientProvidedHostHeader, b)
    put(.identityType, r.identityType, b)
    put(.principalID, r.principalID, b)
    put(.identityARN, r.identityARN, b)
    put(.identityAccountID, r.identityAccountID, b)
    put(.accessKeyID, r.accessKeyID, b)
    put(.userName, r.userName, b)
    put(.invokedBy, r.invokedBy, b)
    put(.sessionIssuerType, r.sessionIssuerType, b)
    put(.sessionIssuerARN, r.sessionIssuerARN, b)
    put(.sessionIssuerName, r.sessionIssuerName, b)
    put(.sessionCreatedAt, r.sessionCreatedMicros)
    put(.mfaAuthenticated, r.mfaAuthenticated)
    put(.ec2RoleDelivery, r.ec2RoleDelivery, b)
    put(.sourceIdentity, r.sourceIdentity, b)
    put(.bucket, r.bucketName, b)
    put(.objectKey, r.objectKey, b)
    put(.authenticationMethod, r.authenticationMethod, b)
    put(.signatureVersion, r.signatureVersion, b)
    put(.bytesIn, r.bytesIn)
    put(.bytesOut, r.bytesOut)
    appendPresign(r, eventTime: eventTime, b)
    put(.issuedAccessKeyID, r.issuedAccessKeyID, b)
    put(.issuedExpiration, r.issuedExpirationMicros)
    if r.issuedSessionToken.isString {
      scratch.removeAll(keepingCapacity: true)
      JSONStrings.appendDecoded(r.issuedSessionToken, in: b, to: &scratch)
      hex.removeAll(keepingCapacity: true)
      scratch.withUnsafeBytes { redactor.appendFingerprint(ofDecoded: $0, to: &hex) }
      hex.withUnsafeBytes { columns.appendText(columns.slot(Column.issuedSessionTokenSHA256.rawValue), $0) }
    } else {
      putNull(.issuedSessionTokenSHA256)
    }
    put(.roleARN, r.roleARN, b)
    put(.roleSessionName, r.roleSessionName, b)
    put(.assumedRoleARN, r.assumedRoleARN, b)
    put(.instanceID, view: CloudTrailLineage.instanceID(r, b))
    if r.targetInstanceIDs.isEmpty {
      putNull(.targetInstanceIDs)
    } else {
      scratch.removeAll(keepingCapacity: true)
      for (k, id) in r.targetInstanceIDs.enumerated() {
        if k > 0 { scratch.append(UInt8(ascii: ",")) }
        JSONStrings.appendDecoded(id, in: b, to: &scratch)
      }
      scratch.withUnsafeBytes { columns.appendText(columns.slot(Column.targetInstanceIDs.rawValue), $0) }
    }
    putJSON(.requestParameters, r.requestParameters, scanner)
    putJSON(.responseElements, r.responseElements, scanner)
    putJSON(.additionalEventData, r.additionalEventData, scanner)
    putJSON(.resources, r.resources, scanner)
    columns.appendText(columns.slot(Column.sourceFile.rawValue), sourceFile)
    put(.sourceOffset, offset)
    if let names = EnvelopeField.names(r.envelopeFields) {
      var text = names
      text.withUTF8 { columns.appendText(columns.slot(Column.envelopeFields.rawValue), UnsafeRawBufferPointer($0)) }
    } else {
      putNull(.envelopeFields)
    }
    if let revocation = RevocationPolicy.revocation(r, scanner: scanner) {
      var principal = revocation.principal
      principal.withUTF8 {
        columns.appendText(columns.slot(Column.revokedPrincipal.rawValue), UnsafeRawBufferPointer($0))
      }
      put(.revokeBefore, revocation.before)
    } else {
      putNull(.revokedPrincipal)
      put(.revokeBefore, nil as Int64?)
    }
    if var text = r.validation.text {
      text.withUTF8 { columns.appendText(columns.slot(Column.logValidation.rawValue), UnsafeRawBufferPointer($0)) }
    } else {
      putNull(.logValidation)
    }
  }

  private static let presignText: [Column] = [
    .presignVersion, .presignAlgorithm, .credentialAKID, .keyKind, .signedHeaders,
  ]
  private static let presignIntegers: [Column] = [.signedAt, .expiresSeconds, .expiresAt, .urlAgeSeconds]

  /// The presign fields CloudTrail logs for query-string-authenticated S3 requests. The signing
  /// key is `X-Amz-Credential`'s when logged, else `userIdentity.accessKeyId`.
  private mutating func appendPresign(_ r: CloudTrailRecord, eventTime: Int64, _ b: UnsafeRawBufferPointer) {
    let queryString =
      r.authenticationMethod.isString && JSONStrings.equals(r.authenticationMethod, "QueryString", in: b)
    guard queryString else {
      for c in Self.presignText { putNull(c) }
      for c in Self.presignIntegers { put(c, nil as Int64?) }
      put(.usedAfterExpiry, nil as Bool?)
      return
    }
    let p = CloudTrailLineage.presign(r, eventTime: eventTime, b, accessKeyID: &scratch)
    put(.presignVersion, r.signatureVersion, b)
    put(.presignAlgorithm, r.amzAlgorithm, b)
    columns.appendText(columns.slot(Column.credentialAKID.rawValue), scratch, present: p.hasAccessKeyID)
    columns.appendText(columns.slot(Column.keyKind.rawValue), p.keyKind)
    put(.signedAt, p.signedAt)
    put(.expiresSeconds, p.expiresSeconds)
    put(.expiresAt, p.expiresAt)
    put(.urlAgeSeconds, p.urlAgeSeconds)
    put(.usedAfterExpiry, p.usedAfterExpiry)
    put(.signedHeaders, r.amzSignedHeaders, b)
  }
}

/// Column positions of the `cloudtrail` schema (1-based after `event_time`, which is 0).
enum CloudTrailColumn: Int {
  case eventTime = 0
  case eventID, eventVersion, eventSource, eventName, awsRegion, sourceIP, userAgent, requestID
  case eventType, eventCategory, managementEvent, readOnly, recipientAccountID, sharedEventID, errorCode
  case errorMessage, vpcEndpointID, tlsVersion, cipherSuite, clientProvidedHostHeader
  case identityType, principalID, identityARN, identityAccountID, accessKeyID, userName, invokedBy
  case sessionIssuerType, sessionIssuerARN, sessionIssuerName, sessionCreatedAt, mfaAuthenticated
  case ec2RoleDelivery, sourceIdentity
  case bucket, objectKey, authenticationMethod, signatureVersion, bytesIn, bytesOut
  case presignVersion, presignAlgorithm, credentialAKID, keyKind, signedAt, expiresSeconds, expiresAt
  case urlAgeSeconds, usedAfterExpiry, signedHeaders
  case issuedAccessKeyID, issuedExpiration, issuedSessionTokenSHA256, roleARN, roleSessionName
  case assumedRoleARN, instanceID, targetInstanceIDs
  case requestParameters, responseElements, additionalEventData, resources
  case sourceFile, sourceOffset, envelopeFields, revokedPrincipal, revokeBefore, logValidation
}
