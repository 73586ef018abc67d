import Parquet

/// The `s3_access` table: every server-access-log field, the Request-URI split up, typed presign
/// columns and provenance. Field ids are stable: append new columns, never renumber.
public enum S3AccessSchema {
  public static let tableName = ShardTable.s3Access.rawValue
  public static let schemaVersion = "1"

  /// Column positions, in schema order.
  public enum Column: Int, CaseIterable, Sendable {
    case requestTime, bucketOwner, bucket, remoteIP, requester, requestID, operation, key
    case requestURI, httpMethod, requestPath, requestQuery, httpProtocol
    case httpStatus, errorCode, bytesSent, objectSize, totalTimeMs, turnAroundTimeMs
    case referer, userAgent, versionID, hostID, signatureVersion, cipherSuite, authType
    case hostHeader, tlsVersion, accessPointARN, aclRequired, sourceRegion, extraFields, fieldCount
    case presignVersion, presignAlgorithm, credentialAKID, credentialDate, credentialRegion
    case credentialService, signedAt, expiresSeconds, expiresAt, urlAgeSeconds, usedAfterExpiry
    case securityTokenSHA256, signatureSHA256, signedHeaders, keyKind
    case sourceFile, sourceOffset
  }

  /// High-cardinality columns hunted by equality: each chunk gets a bloom filter.
  public static let bloomFilterColumns: Set<String> = [
    ColumnName.remoteIP, ColumnName.requestID, ColumnName.key, ColumnName.credentialAKID,
    ColumnName.securityTokenSHA256, ColumnName.signatureSHA256,
  ]

  /// Written with the DELTA encodings when they take no dictionary (see
  /// `ColumnDescriptor.deltaEncoded`): the columns where that measured smaller than PLAIN.
  public static let deltaEncodedColumns: Set<String> = [
    ColumnName.requestTime, ColumnName.signedAt, ColumnName.sourceOffset, ColumnName.remoteIP, ColumnName.requestID,
    ColumnName.requestURI, ColumnName.requestQuery,
    ColumnName.versionID, ColumnName.hostID, ColumnName.signatureSHA256,
  ]

  public static let schema: Schema = {
    func s(_ name: String) -> (String, PhysicalType, LogicalType, Bool) { (name, .byteArray, .string, true) }
    func i64(_ name: String) -> (String, PhysicalType, LogicalType, Bool) { (name, .int64, .none, true) }
    func ts(_ name: String, nullable: Bool = true) -> (String, PhysicalType, LogicalType, Bool) {
      (name, .int64, .timestampMicrosUTC, nullable)
    }
    let columns: [(String, PhysicalType, LogicalType, Bool)] = [
      ts(ColumnName.requestTime, nullable: false),
      s(ColumnName.bucketOwner), s(ColumnName.bucket), s(ColumnName.remoteIP), s(ColumnName.requester),
      s(ColumnName.requestID),
      s(ColumnName.operation), s(ColumnName.key),
      s(ColumnName.requestURI), s(ColumnName.httpMethod), s(ColumnName.requestPath), s(ColumnName.requestQuery),
      s(ColumnName.httpProtocol),
      (ColumnName.httpStatus, .int32, .none, true), s(ColumnName.errorCode),
      i64(ColumnName.bytesSent), i64(ColumnName.objectSize), i64(ColumnName.totalTimeMs),
      i64(ColumnName.turnaroundTimeMs),
      s(ColumnName.referer), s(ColumnName.userAgent), s(ColumnName.versionID), s(ColumnName.hostID),
      s(ColumnName.signatureVersion),
      s(ColumnName.cipherSuite), s(ColumnName.authType), s(ColumnName.hostHeader), s(ColumnName.tlsVersion),
      s(ColumnName.accessPointARN),
      (ColumnName.aclRequired, .boolean, .none, true), s(ColumnName.sourceRegion), s(ColumnName.extraFields),
      (ColumnName.fieldCount, .int32, .none, false),
      s(ColumnName.presignVersion), s(ColumnName.presignAlgorithm), s(ColumnName.credentialAKID),
      (ColumnName.credentialDate, .int32, .date, true), s(ColumnName.credentialRegion), s(ColumnName.credentialService),
      ts(ColumnName.signedAt), i64(ColumnName.expiresSeconds), ts(ColumnName.expiresAt), i64(ColumnName.urlAgeSeconds),
      (ColumnName.usedAfterExpiry, .boolean, .none, true),
      s(ColumnName.securityTokenSHA256), s(ColumnName.signatureSHA256), s(ColumnName.signedHeaders),
      s(ColumnName.keyKind),
      (ColumnName.sourceFile, .byteArray, .string, false), (ColumnName.sourceOffset, .int64, .none, false),
    ]
    precondition(columns.count == Column.allCases.count)
    return Schema(
      name: tableName,
      columns: columns.enumerated().map { i, c in
        ColumnDescriptor(
          name: c.0, physicalType: c.1, logicalType: c.2, nullable: c.3, fieldId: Int32(i + 1),
          bloomFilter: bloomFilterColumns.contains(c.0), deltaEncoded: deltaEncodedColumns.contains(c.0))
      })
  }()
}
