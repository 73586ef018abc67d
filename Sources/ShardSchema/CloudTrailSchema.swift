import Parquet

/// The `cloudtrail` table: event, identity, S3 data-event and presign fields, credential lineage,
/// the raw request/response sections as JSON text (secrets fingerprinted), and provenance.
/// Field ids are stable: append new columns, never renumber.
public enum CloudTrailSchema {
  public static let tableName = ShardTable.cloudtrail.rawValue
  public static let schemaVersion = "1"

  static let columnList: [(String, PhysicalType, LogicalType, Bool)] = {
    func s(_ name: String) -> (String, PhysicalType, LogicalType, Bool) { (name, .byteArray, .string, true) }
    func i64(_ name: String) -> (String, PhysicalType, LogicalType, Bool) { (name, .int64, .none, true) }
    func ts(_ name: String, nullable: Bool = true) -> (String, PhysicalType, LogicalType, Bool) {
      (name, .int64, .timestampMicrosUTC, nullable)
    }
    func bool(_ name: String) -> (String, PhysicalType, LogicalType, Bool) { (name, .boolean, .none, true) }
    return [
      ts(ColumnName.eventTime, nullable: false), s(ColumnName.eventID), s(ColumnName.eventVersion),
      s(ColumnName.eventSource), s(ColumnName.eventName),
      s(ColumnName.awsRegion), s(ColumnName.sourceIP), s(ColumnName.userAgent), s(ColumnName.requestID),
      s(ColumnName.eventType), s(ColumnName.eventCategory),
      bool(ColumnName.managementEvent), bool(ColumnName.readOnly), s(ColumnName.recipientAccountID),
      s(ColumnName.sharedEventID),
      s(ColumnName.errorCode), s(ColumnName.errorMessage), s(ColumnName.vpcEndpointID), s(ColumnName.tlsVersion),
      s(ColumnName.cipherSuite),
      s(ColumnName.clientProvidedHostHeader),
      s(ColumnName.identityType), s(ColumnName.principalID), s(ColumnName.identityARN), s(ColumnName.identityAccountID),
      s(ColumnName.accessKeyID),
      s(ColumnName.userName), s(ColumnName.invokedBy), s(ColumnName.sessionIssuerType), s(ColumnName.sessionIssuerARN),
      s(ColumnName.sessionIssuerName),
      ts(ColumnName.sessionCreatedAt), bool(ColumnName.mfaAuthenticated), s(ColumnName.ec2RoleDelivery),
      s(ColumnName.sourceIdentity),
      s(ColumnName.bucket), s(ColumnName.objectKey), s(ColumnName.authenticationMethod), s(ColumnName.signatureVersion),
      i64(ColumnName.bytesIn),
      i64(ColumnName.bytesOut),
      s(ColumnName.presignVersion), s(ColumnName.presignAlgorithm), s(ColumnName.credentialAKID), s(ColumnName.keyKind),
      ts(ColumnName.signedAt),
      i64(ColumnName.expiresSeconds), ts(ColumnName.expiresAt), i64(ColumnName.urlAgeSeconds),
      bool(ColumnName.usedAfterExpiry),
      s(ColumnName.signedHeaders),
      s(ColumnName.issuedAccessKeyID), ts(ColumnName.issuedExpiration), s(ColumnName.issuedSessionTokenSHA256),
      s(ColumnName.roleARN),
      s(ColumnName.roleSessionName), s(ColumnName.assumedRoleARN), s(ColumnName.instanceID),
      s(ColumnName.targetInstanceIDs),
      s(ColumnName.requestParameters), s(ColumnName.responseElements), s(ColumnName.additionalEventData),
      s(ColumnName.resources),
      (ColumnName.sourceFile, .byteArray, .string, false), (ColumnName.sourceOffset, .int64, .none, false),
      s(ColumnName.envelopeFields), s(ColumnName.revokedPrincipal), ts(ColumnName.revokeBefore),
      s(ColumnName.logValidation),
    ]
  }()

  /// High-cardinality columns hunted by equality: each chunk gets a bloom filter.
  public static let bloomFilterColumns: Set<String> = [
    ColumnName.eventID, ColumnName.sourceIP, ColumnName.requestID, ColumnName.accessKeyID, ColumnName.credentialAKID,
    ColumnName.issuedAccessKeyID,
    ColumnName.issuedSessionTokenSHA256,
  ]

  /// Written with the DELTA encodings when they take no dictionary (see
  /// `ColumnDescriptor.deltaEncoded`): the columns where that measured smaller than PLAIN.
  public static let deltaEncodedColumns: Set<String> = [
    ColumnName.eventTime, ColumnName.sessionCreatedAt, ColumnName.signedAt, ColumnName.expiresAt,
    ColumnName.issuedExpiration, ColumnName.sourceOffset,
    ColumnName.eventID, ColumnName.requestID, ColumnName.sharedEventID, ColumnName.issuedSessionTokenSHA256,
    ColumnName.additionalEventData,
  ]

  public static let schema = Schema(
    name: tableName,
    columns: columnList.enumerated().map { i, c in
      ColumnDescriptor(
        name: c.0, physicalType: c.1, logicalType: c.2, nullable: c.3, fieldId: Int32(i + 1),
        bloomFilter: bloomFilterColumns.contains(c.0), deltaEncoded: deltaEncodedColumns.contains(c.0))
    })
}
