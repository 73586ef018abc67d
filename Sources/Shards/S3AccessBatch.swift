import AccessLog
import LogBytes
import Parquet
import Presign

/// Rows of the `s3_access` table being gathered for one partition, column by column.
///
/// `append` turns one tokenized line into one row: it splits the Request-URI, extracts presign
/// parameters and replaces every secret by its fingerprint before any byte reaches a column.
struct S3AccessBatch: ShardBatch {
  static var tableName: String { S3AccessSchema.tableName }
  static var schemaVersion: String { S3AccessSchema.schemaVersion }
  static var schema: Schema { S3AccessSchema.schema }

  private var scratch = RowScratch()
  private(set) var requestTime: [Int64] = []
  private var bucketOwner = TextColumn(), bucket = TextColumn(), remoteIP = TextColumn()
  private var requester = TextColumn(), requestID = TextColumn(), operation = TextColumn()
  private var key = TextColumn(), requestURI = TextColumn(), httpMethod = TextColumn()
  private var requestPath = TextColumn(), requestQuery = TextColumn(), httpProtocol = TextColumn()
  private var httpStatus = Int32Column(), errorCode = TextColumn()
  private var bytesSent = Int64Column(), objectSize = Int64Column()
  private var totalTimeMs = Int64Column(), turnAroundTimeMs = Int64Column()
  private var referer = TextColumn(), userAgent = TextColumn(), versionID = TextColumn()
  private var hostID = TextColumn(), signatureVersion = TextColumn(), cipherSuite = TextColumn()
  private var authType = TextColumn(), hostHeader = TextColumn(), tlsVersion = TextColumn()
  private var accessPointARN = TextColumn(), aclRequired = BoolColumn()
  private var sourceRegion = TextColumn(), extraFields = TextColumn(), fieldCount = Int32Column()
  private var presignVersion = TextColumn(), presignAlgorithm = TextColumn()
  private var credentialAKID = TextColumn(), credentialDate = Int32Column()
  private var credentialRegion = TextColumn(), credentialService = TextColumn()
  private var signedAt = Int64Column(), expiresSeconds = Int64Column(), expiresAt = Int64Column()
  private var urlAgeSeconds = Int64Column(), usedAfterExpiry = BoolColumn()
  private var securityTokenSHA256 = TextColumn(), signatureSHA256 = TextColumn()
  private var signedHeaders = TextColumn(), keyKind = TextColumn()
  private var sourceFile = TextColumn(), sourceOffset = Int64Column()

  var count: Int { requestTime.count }

  /// Approximate bytes held, to bound memory across partitions.
  var approximateBytes: Int {
    count * 160 + requestURI.byteCount + userAgent.byteCount + referer.byteCount + key.byteCount
      + requester.byteCount + hostID.byteCount + sourceFile.byteCount + requestQuery.byteCount
      + requestPath.byteCount
  }

  init() {}

  func outputOrder() -> (order: [Int32], duplicates: Int) { (timeOrder(requestTime), 0) }

  mutating func append(
    line: UnsafeRawBufferPointer, record r: AccessLogRecord, sourceFile file: UnsafeRawBufferPointer,
    offset: Int64
  ) {
    requestTime.append(r.requestTimeMicros)
    bucketOwner.append(r.bucketOwner, line)
    bucket.append(r.bucket, line)
    remoteIP.append(r.remoteIP, line)
    requester.append(r.requester, line)
    requestID.append(r.requestID, line)
    operation.append(r.operation, line)
    key.append(r.key, line)
    appendRequest(r, line: line)
    httpStatus.append(r.httpStatus)
    errorCode.append(r.errorCode, line)
    bytesSent.append(r.bytesSent)
    objectSize.append(r.objectSize)
    totalTimeMs.append(r.totalTimeMs)
    turnAroundTimeMs.append(r.turnAroundTimeMs)
    referer.appendRedacted(r.referer, line, scratch: &scratch)
    userAgent.append(r.userAgent, line)
    versionID.append(r.versionID, line)
    hostID.append(r.hostID, line)
    signatureVersion.append(r.signatureVersion, line)
    cipherSuite.append(r.cipherSuite, line)
    authType.append(r.authenticationType, line)
    hostHeader.append(r.hostHeader, line)
    tlsVersion.append(r.tlsVersion, line)
    accessPointARN.append(r.accessPointARN, line)
    aclRequired.append(r.aclRequired)
    sourceRegion.append(r.sourceRegion, line)
    extraFields.appendRedacted(r.extraFields, line, scratch: &scratch)
    fieldCount.append(Int32(r.fieldCount))
    sourceFile.appendText(file)
    sourceOffset.append(offset)
  }

  /// Request-URI `METHOD target PROTOCOL` → method, path, query, protocol; presign fields from
  /// the query. The stored URI and query have their secrets fingerprinted.
  private mutating func appendRequest(_ r: AccessLogRecord, line: UnsafeRawBufferPointer) {
    requestURI.appendRedacted(r.requestURI, line, scratch: &scratch)
    var foundPresign = false
    if r.requestURI.isNull {
      httpMethod.appendNull()
      requestPath.appendNull()
      requestQuery.appendNull()
      httpProtocol.appendNull()
    } else {
      let uri = r.requestURI.bytes(in: line)
      let parts = RequestLine.split(uri)
      httpMethod.append(parts.method, uri)
      httpProtocol.append(parts.protocolVersion, uri)
      requestPath.append(parts.path, uri)
      requestQuery.appendRedacted(parts.query, uri, scratch: &scratch)
      if !parts.query.isNull {
        foundPresign = scratch.presign.extract(
          query: parts.query.bytes(in: uri), requestTimeMicros: r.requestTimeMicros)
      }
    }
    guard foundPresign else {
      presignVersion.appendNull()
      presignAlgorithm.appendNull()
      credentialAKID.appendNull()
      credentialDate.append(nil)
      credentialRegion.appendNull()
      credentialService.appendNull()
      signedAt.append(nil)
      expiresSeconds.append(nil)
      expiresAt.append(nil)
      urlAgeSeconds.append(nil)
      usedAfterExpiry.append(nil)
      securityTokenSHA256.appendNull()
      signatureSHA256.appendNull()
      signedHeaders.appendNull()
      keyKind.appendNull()
      return
    }
    let p = scratch.presign.fields
    presignVersion.append(p.version?.rawValue)
    presignAlgorithm.append(p.algorithm, present: p.hasAlgorithm)
    credentialAKID.append(p.accessKeyID, present: p.hasAccessKeyID)
    credentialDate.append(p.credentialDate.map { Int32(truncatingIfNeeded: $0) })
    credentialRegion.append(p.credentialRegion, present: p.hasCredentialRegion)
    credentialService.append(p.credentialService, present: p.hasCredentialService)
    signedAt.append(p.signedAtMicros)
    expiresSeconds.append(p.expiresSeconds)
    expiresAt.append(p.expiresAtMicros)
    urlAgeSeconds.append(p.urlAgeSeconds)
    usedAfterExpiry.append(p.usedAfterExpiry)
    if p.securityTokenSHA256.isEmpty {
      securityTokenSHA256.appendNull()
    } else {
      securityTokenSHA256.appendTrusted(p.securityTokenSHA256)
    }
    if p.signatureSHA256.isEmpty {
      signatureSHA256.appendNull()
    } else {
      signatureSHA256.appendTrusted(p.signatureSHA256)
    }
    signedHeaders.append(p.signedHeaders, present: p.hasSignedHeaders)
    keyKind.append(p.keyKind)
  }

  /// The columns in schema order, for the Parquet writer.
  func columnValues() -> [ColumnValues] {
    let columns: [ColumnValues] = [
      .int64(values: requestTime, isNull: [Bool](repeating: false, count: requestTime.count)),
      .byteArray(bucketOwner.values), .byteArray(bucket.values), .byteArray(remoteIP.values),
      .byteArray(requester.values), .byteArray(requestID.values), .byteArray(operation.values),
      .byteArray(key.values), .byteArray(requestURI.values), .byteArray(httpMethod.values),
      .byteArray(requestPath.values), .byteArray(requestQuery.values), .byteArray(httpProtocol.values),
      httpStatus.columnValues, .byteArray(errorCode.values), bytesSent.columnValues,
      objectSize.columnValues, totalTimeMs.columnValues, turnAroundTimeMs.columnValues,
      .byteArray(referer.values), .byteArray(userAgent.values), .byteArray(versionID.values),
      .byteArray(hostID.values), .byteArray(signatureVersion.values), .byteArray(cipherSuite.values),
      .byteArray(authType.values), .byteArray(hostHeader.values), .byteArray(tlsVersion.values),
      .byteArray(accessPointARN.values), aclRequired.columnValues, .byteArray(sourceRegion.values),
      .byteArray(extraFields.values), fieldCount.columnValues,
      .byteArray(presignVersion.values), .byteArray(presignAlgorithm.values),
      .byteArray(credentialAKID.values), credentialDate.columnValues,
      .byteArray(credentialRegion.values), .byteArray(credentialService.values),
      signedAt.columnValues, expiresSeconds.columnValues, expiresAt.columnValues,
      urlAgeSeconds.columnValues, usedAfterExpiry.columnValues,
      .byteArray(securityTokenSHA256.values), .byteArray(signatureSHA256.values),
      .byteArray(signedHeaders.values), .byteArray(keyKind.values),
      .byteArray(sourceFile.values), sourceOffset.columnValues,
    ]
    precondition(columns.count == S3AccessSchema.Column.allCases.count)
    return columns
  }
}

/// Buffers reused from row to row, so building a row allocates nothing once warm.
struct RowScratch {
  var presign = PresignExtractor()
  var redactor = QueryRedactor()
  var text: [UInt8] = []
}

extension TextColumn {
  @inline(__always)
  mutating func append(_ span: Span, _ line: UnsafeRawBufferPointer) {
    if span.isNull { appendNull() } else { appendText(span.bytes(in: line)) }
  }

  /// Appends a URL-like field with the values of secret parameters replaced by fingerprints.
  mutating func appendRedacted(_ span: Span, _ line: UnsafeRawBufferPointer, scratch: inout RowScratch) {
    guard !span.isNull else { return appendNull() }
    let text = span.bytes(in: line)
    guard QueryRedactor.containsSecret(text) else { return appendText(text) }
    scratch.text.removeAll(keepingCapacity: true)
    scratch.redactor.redact(text, appendingTo: &scratch.text)
    scratch.text.withUnsafeBytes { appendText($0) }
  }
}
