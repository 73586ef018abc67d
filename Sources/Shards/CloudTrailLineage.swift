import CloudTrail
import LogBytes
import Presign

/// Values derived from several fields of a CloudTrail record.
enum CloudTrailLineage {
  struct Presign {
    /// Whether a signing key id was found (it is left in the caller's buffer).
    var hasAccessKeyID = false
    var keyKind: String?
    var signedAt: Int64?
    var expiresSeconds: Int64?
    var expiresAt: Int64?
    var urlAgeSeconds: Int64?
    var usedAfterExpiry: Bool?
  }

  /// The presign fields of `r`; the signing key id is decoded into `akid`, a buffer the caller
  /// reuses from record to record.
  static func presign(
    _ r: CloudTrailRecord, eventTime: Int64, _ b: UnsafeRawBufferPointer, accessKeyID akid: inout [UInt8]
  ) -> Presign {
    var p = Presign()
    akid.removeAll(keepingCapacity: true)
    if r.amzCredential.isString {
      // `AKID/20201203/us-east-1/s3/aws4_request`: the key id is what comes before the first `/`.
      JSONStrings.appendDecoded(r.amzCredential, in: b, to: &akid)
      akid.removeSubrange(PresignDerivation.accessKeyIDLength(ofCredential: akid)...)
      p.hasAccessKeyID = true
    }
    if !p.hasAccessKeyID && r.accessKeyID.isString && r.accessKeyID.end > r.accessKeyID.start {
      JSONStrings.appendDecoded(r.accessKeyID, in: b, to: &akid)
      p.hasAccessKeyID = true
    }
    if p.hasAccessKeyID { p.keyKind = PresignDerivation.keyKind(ofAccessKeyID: akid) }
    if r.amzDate.isString && !r.amzDate.escaped { p.signedAt = TimeParser.parseAmzDate(r.amzDate.bytes(in: b)) }
    p.expiresSeconds = JSONStrings.integer(r.amzExpires, in: b)
    let timing = PresignDerivation.timing(usedAt: eventTime, signedAt: p.signedAt, expiresSeconds: p.expiresSeconds)
    (p.expiresAt, p.urlAgeSeconds, p.usedAfterExpiry) = (timing.expiresAt, timing.urlAgeSeconds, timing.usedAfterExpiry)
    return p
  }

  /// The EC2 instance a record is about: the role session name of an instance-profile issuance
  /// (`i-0317f6c6b66ae9c40`), or the session part of an `AROA…:i-…` principal using it.
  static func instanceID(_ r: CloudTrailRecord, _ b: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
    if r.roleSessionName.isString, let id = instanceIDPrefix(r.roleSessionName.bytes(in: b)) { return id }
    if r.principalID.isString {
      let p = r.principalID.bytes(in: b)
      if let colon = p.firstIndex(of: UInt8(ascii: ":")) {
        return instanceIDPrefix(UnsafeRawBufferPointer(rebasing: p[(colon + 1)...]))
      }
    }
    return nil
  }

  /// `i-` followed by 8 to 17 hex digits, the whole value (anonymised datasets mix the case).
  static func instanceIDPrefix(_ v: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
    guard v.count >= 10, v.count <= 19, v[0] == UInt8(ascii: "i"), v[1] == UInt8(ascii: "-") else { return nil }
    for c in v.dropFirst(2) where !((c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x66)) {
      return nil
    }
    return v
  }
}
