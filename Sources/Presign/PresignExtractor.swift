import LogBytes

/// Reads the presign parameters of one request's query string into `PresignFields`.
///
/// Any parameter order, any letter case of the names, other parameters ignored; values are
/// percent-decoded into reused buffers, secrets are hashed and never kept.
public struct PresignExtractor {
  public private(set) var fields = PresignFields()
  private var decoded: [UInt8] = []

  public init() {}

  /// Extracts from `query` (the part after `?`, raw). Returns true when the request was signed
  /// in the query string (SigV4 or SigV2).
  @discardableResult
  public mutating func extract(query: UnsafeRawBufferPointer, requestTimeMicros: Int64) -> Bool {
    var cache = FingerprintCache()
    return extract(query: query, requestTimeMicros: requestTimeMicros, cache: &cache)
  }

  /// The same, leaving the secrets' fingerprints in `cache` for the redaction of the same row.
  @discardableResult
  public mutating func extract(
    query: UnsafeRawBufferPointer, requestTimeMicros: Int64, cache: inout FingerprintCache
  ) -> Bool {
    var unused: [UInt8] = []
    return extract(query: query, requestTimeMicros: requestTimeMicros, cache: &cache, redacted: &unused, redact: false)
  }

  /// The same, also appending `query` to `redacted` with its secrets fingerprinted, as
  /// `QueryRedactor.redact` writes it, in the same pass over the parameters.
  @discardableResult
  public mutating func extract(
    query: UnsafeRawBufferPointer, requestTimeMicros: Int64, cache: inout FingerprintCache,
    redactingInto redacted: inout [UInt8]
  ) -> Bool {
    extract(query: query, requestTimeMicros: requestTimeMicros, cache: &cache, redacted: &redacted, redact: true)
  }

  private mutating func extract(
    query: UnsafeRawBufferPointer, requestTimeMicros: Int64, cache: inout FingerprintCache,
    redacted: inout [UInt8], redact: Bool
  ) -> Bool {
    fields.reset()
    var sawV4 = false
    var sawV2 = false
    var v2Expires: Int64?
    var work = decoded
    var copied = 0
    QueryRedactor.forEachParameter(query) { _, name, value in
      guard let p = QueryParameter.match(name) else { return }
      if p.isSecret {
        // Secrets are only ever hashed, never decoded into a field.
        let hex: [UInt8]
        if p == .securityToken {
          fields.securityTokenSHA256.removeAll(keepingCapacity: true)
          cache.appendHex(ofEncoded: value, to: &fields.securityTokenSHA256)
          hex = fields.securityTokenSHA256
        } else {
          if p == .signature { sawV4 = true } else { sawV2 = true }
          fields.signatureSHA256.removeAll(keepingCapacity: true)
          cache.appendHex(ofEncoded: value, to: &fields.signatureSHA256)
          hex = fields.signatureSHA256
        }
        if redact {
          let valueStart = value.baseAddress! - query.baseAddress!
          redacted.append(contentsOf: UnsafeRawBufferPointer(rebasing: query[copied..<valueStart]))
          redacted.append(contentsOf: QueryRedactor.fingerprintPrefix)
          redacted.append(contentsOf: hex)
          copied = valueStart + value.count
        }
        return
      }
      work.removeAll(keepingCapacity: true)
      PercentDecoding.decode(value, appendingTo: &work)
      switch p {
      case .algorithm:
        sawV4 = true
        Self.assign(work, to: &fields.algorithm)
        fields.hasAlgorithm = true
      case .credential:
        sawV4 = true
        splitCredential(work)
      case .date:
        sawV4 = true
        fields.signedAtMicros = work.withUnsafeBytes { TimeParser.parseAmzDate($0) }
      case .expires:
        sawV4 = true
        fields.expiresSeconds = Self.parseInteger(work)
      case .signedHeaders:
        Self.assign(work, to: &fields.signedHeaders)
        fields.hasSignedHeaders = true
      case .securityToken, .signature, .v2Signature:
        break
      case .v2AccessKeyID:
        sawV2 = true
        if !fields.hasAccessKeyID {
          Self.assign(work, to: &fields.accessKeyID)
          fields.hasAccessKeyID = true
        }
      case .v2Expires:
        v2Expires = Self.parseInteger(work)
      }
    }
    decoded = work
    if redact { redacted.append(contentsOf: UnsafeRawBufferPointer(rebasing: query[copied...])) }
    let timing: PresignDerivation.Timing
    if sawV4 {
      fields.version = .sigV4
      timing = PresignDerivation.timing(
        usedAt: requestTimeMicros, signedAt: fields.signedAtMicros, expiresSeconds: fields.expiresSeconds)
    } else if sawV2 {
      fields.version = .sigV2
      timing = PresignDerivation.timing(
        usedAt: requestTimeMicros, signedAt: nil, expiresSeconds: nil,
        expiresAt: v2Expires.flatMap { TimeParser.micros(plusSeconds: $0) })
    } else {
      return false
    }
    (fields.expiresAtMicros, fields.urlAgeSeconds, fields.usedAfterExpiry) = (
      timing.expiresAt, timing.urlAgeSeconds, timing.usedAfterExpiry
    )
    return true
  }

  /// `AKID/20201203/us-east-1/s3/aws4_request` → key id, scope date, region, service.
  private mutating func splitCredential(_ credential: [UInt8]) {
    var start = 0
    var part = 0
    for i in 0...credential.count where i == credential.count || credential[i] == UInt8(ascii: "/") {
      let piece = credential[start..<i]
      switch part {
      case 0:
        Self.assign(piece, to: &fields.accessKeyID)
        fields.hasAccessKeyID = true
      case 1:
        fields.credentialDate = piece.withUnsafeBytes { TimeParser.parseCompactDate($0) }
      case 2:
        Self.assign(piece, to: &fields.credentialRegion)
        fields.hasCredentialRegion = true
      case 3:
        Self.assign(piece, to: &fields.credentialService)
        fields.hasCredentialService = true
      default:
        return
      }
      part += 1
      start = i + 1
    }
  }

  /// Replaces `target`'s contents, keeping its buffer (assigning an array would share, then copy).
  @inline(__always)
  static func assign(_ bytes: some Collection<UInt8>, to target: inout [UInt8]) {
    target.removeAll(keepingCapacity: true)
    target.append(contentsOf: bytes)
  }

  /// Decimal integer with an optional sign, at most 18 digits.
  static func parseInteger(_ b: [UInt8]) -> Int64? {
    guard !b.isEmpty && b.count <= 19 else { return nil }
    var i = 0
    var negative = false
    if b[0] == UInt8(ascii: "-") {
      negative = true
      i = 1
    }
    guard i < b.count else { return nil }
    var v: Int64 = 0
    while i < b.count {
      let d = b[i] &- 0x30
      guard d < 10 else { return nil }
      v = v * 10 + Int64(d)
      i += 1
    }
    return negative ? -v : v
  }
}
