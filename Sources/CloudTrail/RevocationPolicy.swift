import LogBytes

/// A revocation recorded in CloudTrail: an inline policy put on a role or a user (the console's
/// "Revoke active sessions" writes `AWSRevokeOlderSessions`) that denies requests by sessions
/// whose `aws:TokenIssueTime` is before a time. The time comes from the policy, not the event.
public enum RevocationPolicy {
  /// What a successful IAM policy event says about revocations:
  /// - `PutRolePolicy` / `PutUserPolicy` whose document denies on `aws:TokenIssueTime`
  ///   (`DateLessThan` or `DateLessThanEquals`): the role or user revoked, and the time;
  /// - `CreatePolicy` / `CreatePolicyVersion` with such a document: the managed policy
  ///   (`arn:aws:iam::ACCOUNT:policy/…`) and the time, which revokes whoever it is attached to;
  /// - `AttachRolePolicy` / `AttachUserPolicy`: the role or user, without a time (the hunt joins
  ///   it to the attached policy's).
  public static func revocation(_ r: CloudTrailRecord, scanner s: JSONScanner) -> (principal: String, before: Int64?)? {
    let b = s.buffer
    guard r.errorCode.isMissing || r.errorCode.kind == .null, r.requestParameters.isObject else { return nil }
    let p = r.requestParameters
    let account =
      JSONStrings.string(r.recipientAccountID, in: b) ?? JSONStrings.string(r.identityAccountID, in: b) ?? ""
    func principal() -> String? {
      if let role = JSONStrings.string(s.member("roleName", of: p), in: b) {
        return "arn:aws:iam::\(account):role/\(role)"
      }
      if let user = JSONStrings.string(s.member("userName", of: p), in: b) {
        return "arn:aws:iam::\(account):user/\(user)"
      }
      return nil
    }
    let name = r.eventName
    if JSONStrings.equals(name, "PutRolePolicy", in: b) || JSONStrings.equals(name, "PutUserPolicy", in: b) {
      guard let who = principal(), let before = revokeBefore(s.member("policyDocument", of: p), scanner: s) else {
        return nil
      }
      return (who, before)
    }
    if JSONStrings.equals(name, "CreatePolicy", in: b) || JSONStrings.equals(name, "CreatePolicyVersion", in: b) {
      guard let before = revokeBefore(s.member("policyDocument", of: p), scanner: s) else { return nil }
      let created = s.member("arn", of: s.member("policy", of: r.responseElements))
      if let arn = JSONStrings.string(s.member("policyArn", of: p), in: b) ?? JSONStrings.string(created, in: b) {
        return (arn, before)
      }
      guard let policy = JSONStrings.string(s.member("policyName", of: p), in: b) else { return nil }
      let path = JSONStrings.string(s.member("path", of: p), in: b) ?? "/"
      return ("arn:aws:iam::\(account):policy\(path)\(policy)", before)
    }
    if JSONStrings.equals(name, "AttachRolePolicy", in: b) || JSONStrings.equals(name, "AttachUserPolicy", in: b) {
      return principal().map { ($0, nil) }
    }
    return nil
  }

  /// The latest `aws:TokenIssueTime` a `Deny` statement of `document` tests with `DateLessThan`
  /// (microseconds); the document given as an object, a JSON string, or a URL-encoded one.
  public static func revokeBefore(_ document: JSONValue, scanner s: JSONScanner) -> Int64? {
    if document.isObject { return revokeBefore(object: document, scanner: s) }
    guard document.isString else { return nil }
    var text: [UInt8] = []
    JSONStrings.appendDecoded(document, in: s.buffer, to: &text)
    // IAM events log documents URL-encoded (`%7B%22Version%22…`).
    if !text.contains(UInt8(ascii: "{")) || text.first == UInt8(ascii: "%") {
      var decoded: [UInt8] = []
      text.withUnsafeBytes { PercentDecoding.decode($0, appendingTo: &decoded) }
      text = decoded.map { $0 == UInt8(ascii: "+") ? UInt8(ascii: " ") : $0 }
    }
    return text.withUnsafeBytes { bytes -> Int64? in
      let inner = JSONScanner(bytes)
      guard let (root, _) = try? inner.value(at: inner.skipWhitespace(0)), root.isObject else { return nil }
      return revokeBefore(object: root, scanner: inner)
    }
  }

  static func revokeBefore(object: JSONValue, scanner s: JSONScanner) -> Int64? {
    let b = s.buffer
    var latest: Int64?
    func statement(_ st: JSONValue) {
      guard st.isObject, JSONStrings.equals(s.member("Effect", of: st), "Deny", in: b) else { return }
      try? s.forEachMember(of: s.member("Condition", of: st)) { op, tests throws(JSONError) in
        guard
          JSONStrings.equalsIgnoringCase(op, "datelessthan", in: b)
            || JSONStrings.equalsIgnoringCase(op, "datelessthanequals", in: b)
        else { return }
        try s.forEachMember(of: tests) { key, value throws(JSONError) in
          guard JSONStrings.equalsIgnoringCase(key, "aws:tokenissuetime", in: b) else { return }
          func take(_ v: JSONValue) {
            guard v.isString else { return }
            var raw: [UInt8] = []
            JSONStrings.appendDecoded(v, in: b, to: &raw)
            if let t = raw.withUnsafeBytes({ TimeParser.parseISO8601($0) }) { latest = max(latest ?? t, t) }
          }
          if value.kind == .array {
            try s.forEachElement(of: value) { take($0) }
          } else {
            take(value)
          }
        }
      }
    }
    let statements = s.member("Statement", of: object)
    if statements.kind == .array {
      try? s.forEachElement(of: statements) { statement($0) }
    } else {
      statement(statements)
    }
    return latest
  }
}
