import Query
import ShardSchema

/// The fields a presigned use is read from, and which column of each table holds each one: a
/// scan's positions are looked up by name once per scan, never written as numbers.
struct UseColumns: Sendable {
  enum Field: Int, CaseIterable, Sendable {
    // `id` and `time` first: every use scan reads them (they order and de-duplicate uses).
    case id, time, ip, principal, userAgent, operation, method, bucket, key, status, errorCode, bytes, bytesIn
    case akid, keyKind, version, signedAt, expiresSeconds, expiresAt, signature
    /// The S3 request id, which with the bucket tells one request both sources logged.
    case requestID
  }

  /// Each field's column, nil where the table has none.
  private let columns: [String?]

  private init(_ columns: [Field: String]) {
    self.columns = Field.allCases.map { columns[$0] }
  }

  subscript(field: Field) -> String? { columns[field.rawValue] }

  static let access = UseColumns([
    .id: ColumnName.requestID, .time: ColumnName.requestTime, .ip: ColumnName.remoteIP,
    .principal: ColumnName.requester, .userAgent: ColumnName.userAgent, .operation: ColumnName.operation,
    .method: ColumnName.httpMethod, .bucket: ColumnName.bucket, .key: ColumnName.key,
    .status: ColumnName.httpStatus, .errorCode: ColumnName.errorCode, .bytes: ColumnName.bytesSent,
    .akid: ColumnName.credentialAKID, .keyKind: ColumnName.keyKind, .version: ColumnName.presignVersion,
    .signedAt: ColumnName.signedAt, .expiresSeconds: ColumnName.expiresSeconds, .expiresAt: ColumnName.expiresAt,
    .signature: ColumnName.signatureSHA256, .requestID: ColumnName.requestID,
  ])

  /// CloudTrail has no HTTP method or status (both come from the event name and error code), and
  /// counts bytes both ways.
  static let trail = UseColumns([
    .id: ColumnName.eventID, .time: ColumnName.eventTime, .ip: ColumnName.sourceIP,
    .principal: ColumnName.identityARN, .userAgent: ColumnName.userAgent, .operation: ColumnName.eventName,
    .bucket: ColumnName.bucket, .key: ColumnName.objectKey, .errorCode: ColumnName.errorCode,
    .bytes: ColumnName.bytesOut, .bytesIn: ColumnName.bytesIn, .akid: ColumnName.credentialAKID,
    .keyKind: ColumnName.keyKind, .version: ColumnName.presignVersion, .signedAt: ColumnName.signedAt,
    .expiresSeconds: ColumnName.expiresSeconds, .expiresAt: ColumnName.expiresAt, .requestID: ColumnName.requestID,
  ])

  /// Every column, once, in field order.
  var all: [String] {
    var seen = Set<String>()
    return columns.compactMap { $0 }.filter { seen.insert($0).inserted }
  }

  /// The columns a scan reads when a hunt needs only `only` (nil: all): the id and time always,
  /// and the request id and bucket that tell one request logged by both sources.
  func scanned(only: Set<String>?) -> [String] {
    let always = Set([Field.id, .time, .requestID, .bucket].compactMap { self[$0] })
    return all.filter { always.contains($0) || only?.contains($0) ?? true }
  }

  /// Where each field is among `scanned` columns.
  func positions(in scanned: [String]) -> Positions {
    Positions(at: columns.map { name in name.flatMap { scanned.firstIndex(of: $0) } })
  }

  /// Positions of the fields in one scan's columns; nil for a field the scan does not read.
  struct Positions: Sendable {
    let at: [Int?]
    subscript(field: Field) -> Int? { at[field.rawValue] }

    /// The field's value in row `i`, null when the scan does not read it.
    func value(_ b: RowBatch, _ i: Int, _ field: Field) -> Value { self[field].map { b.value(i, $0) } ?? .null }
  }
}
