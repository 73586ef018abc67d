/// The query parameters sigtrail understands, matched case-insensitively on the raw name.
enum QueryParameter {
  case algorithm, credential, date, expires, signedHeaders, securityToken, signature
  case v2AccessKeyID, v2Expires, v2Signature

  /// Parameters whose values are live secrets and never leave as anything but a fingerprint.
  var isSecret: Bool {
    switch self {
    case .securityToken, .signature, .v2Signature: return true
    default: return false
    }
  }

  static func match(_ name: UnsafeRawBufferPointer) -> QueryParameter? {
    switch name.count {
    case 7: return equalsIgnoringCase(name, "expires") ? .v2Expires : nil
    case 9: return equalsIgnoringCase(name, "signature") ? .v2Signature : nil
    case 10: return equalsIgnoringCase(name, "x-amz-date") ? .date : nil
    case 13: return equalsIgnoringCase(name, "x-amz-expires") ? .expires : nil
    case 14: return equalsIgnoringCase(name, "awsaccesskeyid") ? .v2AccessKeyID : nil
    case 15:
      if equalsIgnoringCase(name, "x-amz-algorithm") { return .algorithm }
      if equalsIgnoringCase(name, "x-amz-signature") { return .signature }
      return nil
    case 16: return equalsIgnoringCase(name, "x-amz-credential") ? .credential : nil
    case 19: return equalsIgnoringCase(name, "x-amz-signedheaders") ? .signedHeaders : nil
    case 20: return equalsIgnoringCase(name, "x-amz-security-token") ? .securityToken : nil
    default: return nil
    }
  }

  /// `lowered` must be lower-case ASCII.
  @inline(__always)
  static func equalsIgnoringCase(_ a: UnsafeRawBufferPointer, _ lowered: StaticString) -> Bool {
    guard a.count == lowered.utf8CodeUnitCount else { return false }
    let p = lowered.utf8Start
    for i in 0..<a.count {
      var c = a[i]
      if c >= 0x41 && c <= 0x5A { c |= 0x20 }
      if c != p[i] { return false }
    }
    return true
  }
}
