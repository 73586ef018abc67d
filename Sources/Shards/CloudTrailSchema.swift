import Parquet

/// The `cloudtrail` table: event, identity, S3 data-event and presign fields, credential lineage,
/// the raw request/response sections as JSON text (secrets fingerprinted), and provenance.
/// Field ids are stable: append new columns, never renumber.
public enum CloudTrailSchema {
  public static let tableName = "cloudtrail"
  public static let schemaVersion = "1"

  static let columnList: [(String, PhysicalType, LogicalType, Bool)] = {
    func s(_ name: String) -> (String, PhysicalType, LogicalType, Bool) { (name, .byteArray, .string, true) }
    func i64(_ name: String) -> (String, PhysicalType, LogicalType, Bool) { (name, .int64, .none, true) }
    func ts(_ name: String, nullable: Bool = true) -> (String, PhysicalType, LogicalType, Bool) {
      (name, .int64, .timestampMicrosUTC, nullable)
    }
    func bool(_ name: String) -> (String, PhysicalType, LogicalType, Bool) { (name, .boolean, .none, true) }
    return [
      ts("event_time", nullable: false), s("event_id"), s("event_version"), s("event_source"), s("event_name"),
      s("aws_region"), s("source_ip"), s("user_agent"), s("request_id"), s("event_type"), s("event_category"),
      bool("management_event"), bool("read_only"), s("recipient_account_id"), s("shared_event_id"),
      s("error_code"), s("error_message"), s("vpc_endpoint_id"), s("tls_version"), s("cipher_suite"),
      s("client_provided_host_header"),
      s("identity_type"), s("principal_id"), s("identity_arn"), s("identity_account_id"), s("access_key_id"),
      s("user_name"), s("invoked_by"), s("session_issuer_type"), s("session_issuer_arn"), s("session_issuer_name"),
      ts("session_created_at"), bool("mfa_authenticated"), s("ec2_role_delivery"), s("source_identity"),
      s("bucket"), s("object_key"), s("authentication_method"), s("signature_version"), i64("bytes_in"),
      i64("bytes_out"),
      s("presign_version"), s("presign_algorithm"), s("credential_akid"), s("key_kind"), ts("signed_at"),
      i64("expires_seconds"), ts("expires_at"), i64("url_age_seconds"), bool("used_after_expiry"),
      s("signed_headers"),
      s("issued_access_key_id"), ts("issued_expiration"), s("issued_session_token_sha256"), s("role_arn"),
      s("role_session_name"), s("assumed_role_arn"), s("instance_id"), s("target_instance_ids"),
      s("request_parameters"), s("response_elements"), s("additional_event_data"), s("resources"),
      ("source_file", .byteArray, .string, false), ("source_offset", .int64, .none, false),
      s("envelope_fields"), s("revoked_principal"), ts("revoke_before"), s("log_validation"),
    ]
  }()

  /// High-cardinality columns hunted by equality: each chunk gets a bloom filter.
  public static let bloomFilterColumns: Set<String> = [
    "event_id", "source_ip", "request_id", "access_key_id", "credential_akid", "issued_access_key_id",
    "issued_session_token_sha256",
  ]

  /// Written with the DELTA encodings when they take no dictionary (see
  /// `ColumnDescriptor.deltaEncoded`): the columns where that measured smaller than PLAIN.
  public static let deltaEncodedColumns: Set<String> = [
    "event_time", "session_created_at", "signed_at", "expires_at", "issued_expiration", "source_offset",
    "event_id", "request_id", "shared_event_id", "issued_session_token_sha256", "additional_event_data",
  ]

  public static let schema = Schema(
    name: "cloudtrail",
    columns: columnList.enumerated().map { i, c in
      ColumnDescriptor(
        name: c.0, physicalType: c.1, logicalType: c.2, nullable: c.3, fieldId: Int32(i + 1),
        bloomFilter: bloomFilterColumns.contains(c.0), deltaEncoded: deltaEncodedColumns.contains(c.0))
    })
}
