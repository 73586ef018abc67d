import CloudTrail
import Foundation
import Query
import Shards
import Testing

@testable import Hunts

/// The hunts that join CloudTrail's lineage (sessions issued to instances, instances ended,
/// revocations) with presigned uses, on records and lines written in the test.
@Suite struct CloudTrailHuntTests {
  static let account = "111122223333"
  static let role = "arn:aws:iam::\(account):role/web-server"
  static let key = "ASIAQQQQQQQQQQQQQQQ1"
  static let later = "ASIAQQQQQQQQQQQQQQQ2"

  static func time(_ minute: Int) -> String { String(format: "2024-03-01T%02d:%02d:00Z", minute / 60, minute % 60) }
  static func micros(_ minute: Int) -> Int64 { 1_709_251_200_000_000 + Int64(minute) * 60_000_000 }

  static func base(_ minute: Int, _ name: String, _ source: String, id: Int) -> String {
    """
    "eventVersion":"1.09","eventTime":"\(time(minute))","eventSource":"\(source)","eventName":"\(name)",\
    "awsRegion":"us-east-1","sourceIPAddress":"203.0.113.5","userAgent":"aws-cli/2.15.30",\
    "requestID":"req-\(id)","eventID":"00000000-0000-0000-0000-\(String(format: "%012d", id))",\
    "eventType":"AwsApiCall","recipientAccountId":"\(account)"
    """
  }

  static let ops = """
    "userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::\(account):user/ops","accountId":"\(account)",\
    "accessKeyId":"AKIAOPSOPSOPSOPSOPS1","userName":"ops"}
    """

  /// EC2 assuming the role for `instance`'s profile: the session key CloudTrail says it issued.
  static func assume(_ minute: Int, _ akid: String, instance: String, id: Int) -> String {
    """
    {\(base(minute, "AssumeRole", "sts.amazonaws.com", id: id)),\
    "userIdentity":{"type":"AWSService","invokedBy":"ec2.amazonaws.com"},\
    "requestParameters":{"roleArn":"\(role)","roleSessionName":"\(instance)"},\
    "responseElements":{"credentials":{"accessKeyId":"\(akid)","sessionToken":"IQoJb3JpZ2luX2VjEXAMPLE",\
    "expiration":"Mar 1, 2024, 11:00:00 PM"}}}
    """
  }

  static func terminate(_ minute: Int, instance: String, id: Int) -> String {
    """
    {\(base(minute, "TerminateInstances", "ec2.amazonaws.com", id: id)),\(ops),\
    "requestParameters":{"instancesSet":{"items":[{"instanceId":"\(instance)"}]}}}
    """
  }

  /// The console's "Revoke active sessions": a deny on tokens issued before `before`, URL-encoded.
  static func revoke(_ minute: Int, before: Int, failed: Bool = false, id: Int) -> String {
    let document =
      #"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":["*"],"Resource":["*"],"#
      + #""Condition":{"DateLessThan":{"aws:TokenIssueTime":"\#(time(before))"}}}]}"#
    let encoded = document.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
    return """
      {\(base(minute, "PutRolePolicy", "iam.amazonaws.com", id: id)),\(ops),\
      "requestParameters":{"roleName":"web-server","policyName":"AWSRevokeOlderSessions",\
      "policyDocument":"\(encoded)"}\(failed ? #","errorCode":"AccessDenied""# : "")}
      """
  }

  static func data(trail records: [String], access lines: [String]) throws -> HuntData {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hunts-ct-\(UUID().uuidString)").path
    let writer = CloudTrailShardWriter(outputDirectory: dir, runID: "t", version: "test")
    let content = Array(#"{"Records":["#.utf8) + Array(records.joined(separator: ",").utf8) + Array("]}".utf8)
    var failure: Error?
    try content.withUnsafeBytes { buffer in
      let document = CloudTrailDocument(buffer)
      var record = CloudTrailRecord()
      let outcome = document.scan(
        onRecord: { value in
          do {
            try CloudTrailRecordReader.read(value, scanner: document.scanner, into: &record)
            let time = try #require(record.eventTimeMicros)
            try Array("trail.json".utf8).withUnsafeBytes {
              try writer.append(
                &record, eventTime: time, scanner: document.scanner, sourceFile: $0, offset: Int64(value.start))
            }
          } catch {
            failure = error
          }
        }, onReject: { offset, rejection in Issue.record("record at \(offset) rejected: \(rejection)") })
      #expect(outcome == .records)
    }
    if let failure { throw failure }
    var d = try HuntScenarioTests.data(lines)
    d.cloudTrailFiles = try writer.finish().map(\.path)
    return d
  }

  /// Two instances' sessions, one instance terminated at minute 30 and its key's URL used at
  /// minutes 20 and 40, the other's at 55; `trail` and `access` add to them.
  static func terminated(trail: [String] = [], access: [String] = []) throws -> HuntData {
    try data(
      trail: [
        assume(0, key, instance: "i-0aaa1aaaa1aaaa1a1", id: 1),
        assume(1, "ASIAKEEPKEEPKEEPKEE3", instance: "i-0bbb2bbbb2bbbb2b2", id: 2),
        terminate(30, instance: "i-0aaa1aaaa1aaaa1a1", id: 3),
      ] + trail,
      access: [
        HuntScenarioTests.presigned(minute: 20, akid: key, ip: "198.51.100.7"),
        HuntScenarioTests.presigned(minute: 40, akid: key, ip: "198.51.100.7"),
        HuntScenarioTests.presigned(minute: 55, akid: "ASIAKEEPKEEPKEEPKEE3", ip: "10.0.0.9"),
      ] + access)
  }

  /// The seed article's story: a session issued to an instance signs a URL; the instance is
  /// terminated at minute 30; the URL is used before and twice after. Another instance's
  /// session, never ended, is no finding.
  @Test func afterTerminationJoinsInstanceEndsSessionsAndUses() throws {
    var d = try Self.terminated(access: [
      HuntScenarioTests.presigned(minute: 50, akid: Self.key, ip: "198.51.100.8")
    ])
    let r = try Hunts.afterTermination(&d)
    #expect(HuntScenarioTests.column(r, "signer_akid") == [Self.key, Self.key])
    #expect(HuntScenarioTests.column(r, "instance_id") == ["i-0aaa1aaaa1aaaa1a1", "i-0aaa1aaaa1aaaa1a1"])
    #expect(HuntScenarioTests.column(r, "ended_by") == ["TerminateInstances", "TerminateInstances"])
    #expect(HuntScenarioTests.column(r, "seconds_after_end") == ["600", "1200"])
  }

  /// A revocation at minute 60 of sessions issued before minute 59: the old session's uses after
  /// it are split into denied and succeeded; a session issued after the cut-off, a failed
  /// revocation and uses before it count for nothing.
  @Test func revocationsSplitLaterUsesOfOlderSessions() throws {
    var d = try Self.data(
      trail: [
        Self.assume(0, Self.key, instance: "i-0aaa1aaaa1aaaa1a1", id: 1),
        Self.revoke(45, before: 44, failed: true, id: 2),
        Self.revoke(60, before: 59, id: 3),
        Self.assume(70, Self.later, instance: "i-0aaa1aaaa1aaaa1a1", id: 4),
      ],
      access: [
        HuntScenarioTests.presigned(minute: 30, akid: Self.key, ip: "198.51.100.7"),
        HuntScenarioTests.presigned(minute: 65, akid: Self.key, ip: "198.51.100.7", status: 403),
        HuntScenarioTests.presigned(minute: 66, akid: Self.key, ip: "198.51.100.7", status: 403),
        HuntScenarioTests.presigned(minute: 67, akid: Self.key, ip: "198.51.100.9"),
        HuntScenarioTests.presigned(minute: 80, akid: Self.later, ip: "10.0.0.9"),
      ])
    let r = try Hunts.revocations(&d)
    #expect(r.rows.count == 1)
    #expect(HuntScenarioTests.column(r, "revoked_principal") == [Self.role])
    #expect(HuntScenarioTests.column(r, "revoke_before") == [Value.iso8601(Self.micros(59))])
    #expect(HuntScenarioTests.column(r, "denied") == ["2"])
    #expect(HuntScenarioTests.column(r, "succeeded") == ["1"])
    #expect(HuntScenarioTests.column(r, "verdict") == ["did not stop every use"])
    let after = try Hunts.afterRevocations(&d)
    #expect(HuntScenarioTests.column(after, "outcome") == ["denied", "denied", "succeeded"])
    #expect(Set(HuntScenarioTests.column(after, "signer_akid")) == [Self.key])
    // The policy that would cut the sessions off, and which sessions it would.
    let (policy, evidence) = try Hunts.revokePolicy(&d, role: Self.role, before: Self.micros(69))
    #expect(policy.contains(#""aws:TokenIssueTime": "2024-03-01T01:09:00Z""#))
    #expect(HuntScenarioTests.column(evidence, "session_akid") == [Self.key, Self.later])
    #expect(HuntScenarioTests.column(evidence, "effect") == ["revoked", "kept (issued after the cut-off)"])
    #expect(HuntScenarioTests.column(evidence, "presigned_uses") == ["4", "1"])
  }

  /// Denied requests in bursts per address and signer (gap five minutes); a browser's unsigned
  /// favicon request beside a presigned URL is told apart, not counted as an attack.
  @Test func deniedGroupsBurstsAndTellsTheFaviconApart() throws {
    var d = try Self.data(
      trail: [],
      access: [
        HuntScenarioTests.presigned(minute: 10, akid: Self.key, ip: "192.0.2.99", status: 403),
        HuntScenarioTests.presigned(minute: 12, akid: Self.key, ip: "192.0.2.99", status: 403),
        HuntScenarioTests.presigned(minute: 14, akid: Self.key, ip: "192.0.2.99", status: 403),
        HuntScenarioTests.presigned(minute: 40, akid: Self.key, ip: "192.0.2.99", status: 403),
        HuntScenarioTests.presigned(minute: 41, akid: Self.key, ip: "198.51.100.7"),
        FaviconLine.favicon(minute: 41, ip: "198.51.100.7"),
      ])
    let r = try Hunts.denied(&d)
    #expect(HuntScenarioTests.column(r, "requests") == ["3", "1", "1"])
    #expect(HuntScenarioTests.column(r, "kind").last?.contains("favicon") == true)
    // The report's one scan finds the same bursts.
    let bursts = try SharedScan(&d, allow: []).denied()
    let shared = bursts.result
    #expect(shared.header == r.header && shared.rows == r.rows)
    // Each burst's uses are its requests, the unsigned favicon's too: what the report draws.
    #expect((0..<bursts.count).map { bursts.uses(ofBurst: $0).count } == [3, 1, 1])
    #expect(bursts.uses(ofBurst: 2).map(\.ip) == ["198.51.100.7"])
  }
}

/// An unsigned `GET /favicon.ico` S3 denies: what a browser asks for after opening a URL.
enum FaviconLine {
  static func favicon(minute: Int, ip: String) -> String {
    let time = String(format: "[01/Mar/2024:%02d:%02d:01 +0000]", minute / 60, minute % 60)
    return "\(HuntScenarioTests.owner) data-bkt \(time) \(ip) - FAV\(String(format: "%013d", minute)) "
      + "REST.GET.OBJECT favicon.ico \"GET /favicon.ico HTTP/1.1\" 403 AccessDenied 243 - 9 - \"-\" "
      + "\"Mozilla/5.0\" - aGk= - ECDHE-RSA-AES128-GCM-SHA256 - data-bkt.s3.us-east-1.amazonaws.com TLSv1.2 - -"
  }
}
