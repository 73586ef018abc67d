import LogBytes
import Testing

@testable import CloudTrail

/// Revocations as CloudTrail records them: the console's AWSRevokeOlderSessions and any inline
/// policy denying on aws:TokenIssueTime, the document URL-encoded (as IAM events log it), as a
/// JSON string, or as an object.
@Suite struct RevocationPolicyTests {
  static let document =
    #"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":["*"],"Resource":["*"],"#
    + #""Condition":{"DateLessThan":{"aws:TokenIssueTime":"2024-03-01T02:30:00.000Z"}}}]}"#
  static let revokedAt: Int64 = 1_709_260_200_000_000

  static func revocation(_ record: String) -> (String, Int64?)? {
    Array(record.utf8).withUnsafeBytes { b in
      let s = JSONScanner(b)
      guard let (v, _) = try? s.value(at: 0) else { return nil }
      var r = CloudTrailRecord()
      try? CloudTrailRecordReader.read(v, scanner: s, into: &r)
      return RevocationPolicy.revocation(r, scanner: s).map { ($0.principal, $0.before) }
    }
  }

  static func event(_ name: String, _ parameters: String, error: String? = nil) -> String {
    #"{"eventName":"\#(name)","eventTime":"2024-03-01T02:30:12Z","recipientAccountId":"111122223333","#
      + (error.map { #""errorCode":"\#($0)","# } ?? "") + #""requestParameters":\#(parameters)}"#
  }

  static func quoted(_ text: String) -> String {
    "\"" + text.replacingOccurrences(of: "\"", with: "\\\"") + "\""
  }

  @Test func everyFormOfTheDocument() {
    let encoded = Self.document.unicodeScalars.map { c -> String in
      c.properties.isAlphabetic || ("0"..."9").contains(c)
        ? String(c) : "%" + String(c.value, radix: 16, uppercase: true)
    }.joined()
    for form in [Self.quoted(encoded), Self.quoted(Self.document), Self.document] {
      let r = Self.revocation(
        Self.event(
          "PutRolePolicy",
          #"{"roleName":"web-server","policyName":"AWSRevokeOlderSessions","policyDocument":\#(form)}"#))
      #expect(r?.0 == "arn:aws:iam::111122223333:role/web-server")
      #expect(r?.1 == Self.revokedAt)
    }
    let user = Self.revocation(
      Self.event("PutUserPolicy", #"{"userName":"alice","policyName":"x","policyDocument":\#(Self.document)}"#))
    #expect(user?.0 == "arn:aws:iam::111122223333:user/alice")
  }

  @Test func managedPoliciesAndTheirAttachments() {
    let created = Self.revocation(
      Self.event("CreatePolicy", #"{"policyName":"revoke-all","path":"/ir/","policyDocument":\#(Self.document)}"#))
    #expect(created?.0 == "arn:aws:iam::111122223333:policy/ir/revoke-all" && created?.1 == Self.revokedAt)
    let version = Self.revocation(
      Self.event(
        "CreatePolicyVersion",
        #"{"policyArn":"arn:aws:iam::111122223333:policy/x","policyDocument":\#(Self.document)}"#))
    #expect(version?.0 == "arn:aws:iam::111122223333:policy/x")
    let attach = Self.revocation(
      Self.event("AttachRolePolicy", #"{"roleName":"web","policyArn":"arn:aws:iam::111122223333:policy/x"}"#))
    #expect(attach?.0 == "arn:aws:iam::111122223333:role/web" && attach?.1 == nil)
  }

  @Test func notRevocations() {
    let allow = Self.document.replacingOccurrences(of: "Deny", with: "Allow")
    #expect(Self.revocation(Self.event("PutRolePolicy", #"{"roleName":"r","policyDocument":\#(allow)}"#)) == nil)
    let plain = #"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"s3:*","Resource":"*"}}"#
    #expect(Self.revocation(Self.event("PutRolePolicy", #"{"roleName":"r","policyDocument":\#(plain)}"#)) == nil)
    #expect(
      Self.revocation(
        Self.event("PutRolePolicy", #"{"roleName":"r","policyDocument":\#(Self.document)}"#, error: "AccessDenied"))
        == nil)
    #expect(Self.revocation(Self.event("DeleteRolePolicy", #"{"roleName":"r","policyName":"x"}"#)) == nil)
  }
}
