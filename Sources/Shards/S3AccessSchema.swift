import Parquet

/// The `s3_access` table: every server-access-log field, the Request-URI split up, typed presign
/// columns and provenance. Field ids are stable: append new columns, never renumber.
public enum S3AccessSchema {
  public static let tableName = "s3_access"
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
    "remote_ip", "request_id", "key", "credential_akid", "security_token_sha256", "signature_sha256",
  ]

  /// Written with the DELTA encodings when they take no dictionary (see
  /// `ColumnDescriptor.deltaEncoded`): the columns where that measured smaller than PLAIN.
  public static let deltaEncodedColumns: Set<String> = [
    "request_time", "signed_at", "source_offset", "remote_ip", "request_id", "request_uri", "request_query",
    "version_id", "host_id", "signature_sha256",
  ]

  public static let schema: Schema = {
    func s(_ name: String) -> (String, PhysicalType, LogicalType, Bool) { (name, .byteArray, .string, true) }
    func i64(_ name: String) -> (String, PhysicalType, LogicalType, Bool) { (name, .int64, .none, true) }
    func ts(_ name: String, nullable: Bool = true) -> (String, PhysicalType, LogicalType, Bool) {
      (name, .int64, .timestampMicrosUTC, nullable)
    }
    let columns: [(String, PhysicalType, LogicalType, Bool)] = [
      ts("request_time", nullable: false),
      s("bucket_owner"), s("bucket"), s("remote_ip"), s("requester"), s("request_id"),
      s("operation"), s("key"),
      s("request_uri"), s("http_method"), s("request_path"), s("request_query"), s("http_protocol"),
      ("http_status", .int32, .none, true), s("error_code"),
      i64("bytes_sent"), i64("object_size"), i64("total_time_ms"), i64("turnaround_time_ms"),
      s("referer"), s("user_agent"), s("version_id"), s("host_id"), s("signature_version"),
      s("cipher_suite"), s("auth_type"), s("host_header"), s("tls_version"), s("access_point_arn"),
      ("acl_required", .boolean, .none, true), s("source_region"), s("extra_fields"),
      ("field_count", .int32, .none, false),
      s("presign_version"), s("presign_algorithm"), s("credential_akid"),
      ("credential_date", .int32, .date, true), s("credential_region"), s("credential_service"),
      ts("signed_at"), i64("expires_seconds"), ts("expires_at"), i64("url_age_seconds"),
      ("used_after_expiry", .boolean, .none, true),
      s("security_token_sha256"), s("signature_sha256"), s("signed_headers"), s("key_kind"),
      ("source_file", .byteArray, .string, false), ("source_offset", .int64, .none, false),
    ]
    precondition(columns.count == Column.allCases.count)
    return Schema(
      name: "s3_access",
      columns: columns.enumerated().map { i, c in
        ColumnDescriptor(
          name: c.0, physicalType: c.1, logicalType: c.2, nullable: c.3, fieldId: Int32(i + 1),
          bloomFilter: bloomFilterColumns.contains(c.0), deltaEncoded: deltaEncodedColumns.contains(c.0))
      })
  }()
}
