import AccessLog
import LogBytes
import Parquet
import Presign
import ShardSchema

/// Rows of the `s3_access` table being gathered for one partition, column by column.
///
/// `append` turns one tokenized line into one row: it splits the Request-URI, extracts presign
/// parameters and replaces every secret by its fingerprint before any byte reaches a column.
struct S3AccessBatch: ShardBatch {
  static var tableName: String { S3AccessSchema.tableName }
  static var schemaVersion: String { S3AccessSchema.schemaVersion }
  static var schema: Schema { S3AccessSchema.schema }

  private typealias C = S3AccessSchema.Column
  private var columns = ColumnSet(schema: S3AccessSchema.schema)
  private var scratch = RowScratch()
  private let timeSlot: Int
  /// Whether the line being appended is all ASCII, checked once for all of its fields (and for
  /// the redacted texts made of them and of hex), instead of field by field.
  private var lineIsASCII = false

  init() {
    timeSlot = columns.slot(C.requestTime.rawValue)
  }

  var count: Int { columns.count(int64: timeSlot) }
  var approximateBytes: Int { columns.allocatedBytes }

  func outputOrder() -> [Int32] { columns.withInt64s(timeSlot) { timeOrder($0) } }
  func columnInputs() -> [ColumnInput] { columns.columnInputs() }
  var isFull: Bool { columns.isFull }
  mutating func removeAll() { columns.removeAll() }

  // MARK: typed appends by column

  @inline(__always)
  private mutating func put(_ c: C, _ span: Span, _ line: UnsafeRawBufferPointer) {
    let i = columns.slot(c.rawValue)
    if span.isNull {
      columns.appendNull(i)
    } else {
      columns.appendText(i, span.bytes(in: line), ascii: lineIsASCII)
    }
  }

  @inline(__always)
  private mutating func put(_ c: C, bytes: [UInt8], present: Bool) {
    columns.appendText(columns.slot(c.rawValue), bytes, present: present)
  }

  @inline(__always)
  private mutating func put(_ c: C, _ text: String?) {
    columns.appendText(columns.slot(c.rawValue), text)
  }

  @inline(__always)
  private mutating func putNull(_ c: C) { columns.appendNull(columns.slot(c.rawValue)) }

  @inline(__always)
  private mutating func put(_ c: C, _ v: Int64?) { columns.append(columns.slot(c.rawValue), int64: v) }

  @inline(__always)
  private mutating func put(_ c: C, int32 v: Int32?) { columns.append(columns.slot(c.rawValue), int32: v) }

  @inline(__always)
  private mutating func put(_ c: C, _ v: Bool?) { columns.append(columns.slot(c.rawValue), bool: v) }

  /// A URL-like field with the values of secret parameters replaced by fingerprints.
  private mutating func putRedacted(_ c: C, _ span: Span, _ line: UnsafeRawBufferPointer) {
    guard !span.isNull else { return putNull(c) }
    let text = span.bytes(in: line)
    // Without an `=` there is no parameter value to replace: the text is stored as it is, without
    // its copy through the scratch buffer (most Request-URIs hold no query).
    guard ByteSearch.first(UInt8(ascii: "="), in: text, from: 0, end: text.count) < text.count else {
      columns.appendText(columns.slot(c.rawValue), text, ascii: lineIsASCII)
      return
    }
    scratch.text.removeAll(keepingCapacity: true)
    QueryRedactor.redact(text, appendingTo: &scratch.text, cache: &scratch.fingerprints)
    scratch.text.withUnsafeBytes { columns.appendText(columns.slot(c.rawValue), $0, ascii: lineIsASCII) }
  }

  /// The Request-URI and its query, secrets fingerprinted, and the presign fields, from one
  /// pass over the query's parameters: the redactor finds parameters after every separator, so
  /// the URI redacts as the text before its query, the query, and the text after it, each on its
  /// own. Returns whether the query was presigned.
  private mutating func putRequestURI(
    _ uri: UnsafeRawBufferPointer, query: Span, requestTimeMicros: Int64
  ) -> Bool {
    guard !query.isNull else {
      putRedacted(.requestURI, Span(start: 0, end: uri.count), uri)
      putNull(.requestQuery)
      return false
    }
    scratch.text.removeAll(keepingCapacity: true)
    QueryRedactor.redact(
      UnsafeRawBufferPointer(rebasing: uri[0..<Int(query.start)]), appendingTo: &scratch.text,
      cache: &scratch.fingerprints)
    let queryStart = scratch.text.count
    let presigned = scratch.presign.extract(
      query: query.bytes(in: uri), requestTimeMicros: requestTimeMicros, cache: &scratch.fingerprints,
      redactingInto: &scratch.text)
    let queryEnd = scratch.text.count
    QueryRedactor.redact(
      UnsafeRawBufferPointer(rebasing: uri[query.end...]), appendingTo: &scratch.text, cache: &scratch.fingerprints)
    scratch.text.withUnsafeBytes { text in
      let query = UnsafeRawBufferPointer(rebasing: text[queryStart..<queryEnd])
      let querySlot = columns.slot(C.requestQuery.rawValue)
      if columns.appendText(columns.slot(C.requestURI.rawValue), text, ascii: lineIsASCII) {
        columns.appendText(querySlot, query, ascii: lineIsASCII)
      } else {
        // The query is a part of the URI from just after its `?`: nothing to find in it either.
        columns.appendScrubbedPart(querySlot, query, ascii: lineIsASCII)
      }
    }
    return presigned
  }

  // MARK: rows

  mutating func append(
    line: UnsafeRawBufferPointer, record r: AccessLogRecord, sourceFile file: UnsafeRawBufferPointer, offset: Int64
  ) {
    lineIsASCII = UTF8Sanitizer.isASCII(line)
    put(.requestTime, r.requestTimeMicros)
    put(.bucketOwner, r.bucketOwner, line)
    put(.bucket, r.bucket, line)
    put(.remoteIP, r.remoteIP, line)
    put(.requester, r.requester, line)
    put(.requestID, r.requestID, line)
    put(.operation, r.operation, line)
    put(.key, r.key, line)
    appendRequest(r, line: line)
    put(.httpStatus, int32: r.httpStatus)
    put(.errorCode, r.errorCode, line)
    put(.bytesSent, r.bytesSent)
    put(.objectSize, r.objectSize)
    put(.totalTimeMs, r.totalTimeMs)
    put(.turnAroundTimeMs, r.turnAroundTimeMs)
    putRedacted(.referer, r.referer, line)
    put(.userAgent, r.userAgent, line)
    put(.versionID, r.versionID, line)
    put(.hostID, r.hostID, line)
    put(.signatureVersion, r.signatureVersion, line)
    put(.cipherSuite, r.cipherSuite, line)
    put(.authType, r.authenticationType, line)
    put(.hostHeader, r.hostHeader, line)
    put(.tlsVersion, r.tlsVersion, line)
    put(.accessPointARN, r.accessPointARN, line)
    put(.aclRequired, r.aclRequired)
    put(.sourceRegion, r.sourceRegion, line)
    putRedacted(.extraFields, r.extraFields, line)
    put(.fieldCount, int32: Int32(r.fieldCount))
    columns.appendText(columns.slot(C.sourceFile.rawValue), file)
    put(.sourceOffset, offset)
  }

  /// Request-URI `METHOD target PROTOCOL` → method, path, query, protocol; presign fields from
  /// the query. The stored URI and query have their secrets fingerprinted; each secret is hashed
  /// once for all of them.
  private mutating func appendRequest(_ r: AccessLogRecord, line: UnsafeRawBufferPointer) {
    var foundPresign = false
    if r.requestURI.isNull {
      for c in Self.requestParts { putNull(c) }
    } else {
      let uri = r.requestURI.bytes(in: line)
      let parts = RequestLine.split(uri)
      foundPresign = putRequestURI(uri, query: parts.query, requestTimeMicros: r.requestTimeMicros)
      put(.httpMethod, parts.method, uri)
      put(.requestPath, parts.path, uri)
      put(.httpProtocol, parts.protocolVersion, uri)
    }
    guard foundPresign else {
      for c in Self.presignText { putNull(c) }
      for c in Self.presignIntegers { put(c, nil as Int64?) }
      put(.credentialDate, int32: nil)
      put(.usedAfterExpiry, nil as Bool?)
      return
    }
    let p = scratch.presign.fields
    put(.presignVersion, p.version?.rawValue)
    put(.presignAlgorithm, bytes: p.algorithm, present: p.hasAlgorithm)
    put(.credentialAKID, bytes: p.accessKeyID, present: p.hasAccessKeyID)
    put(.credentialDate, int32: p.credentialDate.map { Int32(truncatingIfNeeded: $0) })
    put(.credentialRegion, bytes: p.credentialRegion, present: p.hasCredentialRegion)
    put(.credentialService, bytes: p.credentialService, present: p.hasCredentialService)
    put(.signedAt, p.signedAtMicros)
    put(.expiresSeconds, p.expiresSeconds)
    put(.expiresAt, p.expiresAtMicros)
    put(.urlAgeSeconds, p.urlAgeSeconds)
    put(.usedAfterExpiry, p.usedAfterExpiry)
    put(.securityTokenSHA256, bytes: p.securityTokenSHA256, present: !p.securityTokenSHA256.isEmpty)
    put(.signatureSHA256, bytes: p.signatureSHA256, present: !p.signatureSHA256.isEmpty)
    put(.signedHeaders, bytes: p.signedHeaders, present: p.hasSignedHeaders)
    put(.keyKind, p.keyKind)
  }

  private static let requestParts: [C] = [.requestURI, .httpMethod, .requestPath, .requestQuery, .httpProtocol]
  private static let presignText: [C] = [
    .presignVersion, .presignAlgorithm, .credentialAKID, .credentialRegion, .credentialService,
    .securityTokenSHA256, .signatureSHA256, .signedHeaders, .keyKind,
  ]
  private static let presignIntegers: [C] = [.signedAt, .expiresSeconds, .expiresAt, .urlAgeSeconds]
}

/// Buffers reused from row to row, so building a row allocates nothing once warm.
struct RowScratch {
  var presign = PresignExtractor()
  var fingerprints = FingerprintCache()
  var text: [UInt8] = []
}
