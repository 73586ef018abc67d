import AccessLog
import Foundation
import Query
import Shards
import Testing

@testable import Hunts

/// Each hunt's grouping and filters on a few access-log lines written in the test, so that a
/// failing join or filter shows here, next to its cause.
@Suite struct HuntScenarioTests {
  static let owner = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"

  /// A presigned SigV4 request as S3 logs it (minutes after 2024-03-01T00:00:00Z).
  static func presigned(
    minute: Int, akid: String, ip: String, key: String = "reports/q1.pdf", method: String = "GET",
    status: Int = 200, expires: Int = 3600, agent: String = "curl/8.5.0",
    signature: String = String(repeating: "ab", count: 32)
  ) -> String {
    let time = String(format: "[01/Mar/2024:%02d:%02d:00 +0000]", minute / 60, minute % 60)
    let query =
      "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=\(akid)%2F20240301%2Fus-east-1%2Fs3%2Faws4_request"
      + "&X-Amz-Date=20240301T000000Z&X-Amz-Expires=\(expires)&X-Amz-SignedHeaders=host&X-Amz-Signature=\(signature)"
    let op = method == "PUT" ? "REST.PUT.OBJECT" : "REST.GET.OBJECT"
    // An S3 request id: 16 upper-case letters and digits.
    let id = String(format: "REQ%013d", minute * 100_000 + ip.utf8.reduce(0) { $0 + Int($1) })
    return "\(owner) data-bkt \(time) \(ip) - \(id) \(op) \(key) \"\(method) /\(key)?\(query) HTTP/1.1\" "
      + "\(status) - 4096 4096 12 9 \"-\" \"\(agent)\" - aGk= SigV4 ECDHE-RSA-AES128-GCM-SHA256 QueryString "
      + "data-bkt.s3.us-east-1.amazonaws.com TLSv1.2 - -"
  }

  /// The `s3_access` parts of `lines`, written by the writer sigtrail uses.
  static func data(_ lines: [String]) throws -> HuntData {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hunts-\(UUID().uuidString)").path
    let writer = S3AccessShardWriter(outputDirectory: dir, runID: "t", version: "test")
    var record = AccessLogRecord()
    for (i, line) in lines.enumerated() {
      let bytes = Array(line.utf8)
      try bytes.withUnsafeBytes { b in
        #expect(AccessLogTokenizer.parse(b, into: &record) == nil, "line \(i) does not parse")
        try Array("test.log".utf8).withUnsafeBytes {
          try writer.append(line: b, record: record, sourceFile: $0, offset: Int64(i))
        }
      }
    }
    let parts = try writer.finish().map(\.path)
    var d = HuntData(accessLogFiles: parts, cloudTrailFiles: [])
    d.threads = 1
    return d
  }

  static func column(_ r: HuntResult, _ name: String) -> [String] {
    let i = r.header.firstIndex(of: name)!
    return r.rows.map { $0[i].text }
  }

  @Test func presignedGroupsUsesByURL() throws {
    var d = try Self.data([
      Self.presigned(minute: 10, akid: "ASIAAAAAAAAAAAAAAAA1", ip: "10.0.0.5"),
      Self.presigned(minute: 20, akid: "ASIAAAAAAAAAAAAAAAA1", ip: "198.51.100.7"),
      Self.presigned(minute: 30, akid: "AKIABBBBBBBBBBBBBBB2", ip: "10.0.0.6", key: "other.bin"),
    ])
    let r = try Hunts.presigned(&d)
    #expect(r.rows.count == 2)
    let uses = Dictionary(uniqueKeysWithValues: zip(Self.column(r, "signer_akid"), Self.column(r, "uses")))
    #expect(uses == ["ASIAAAAAAAAAAAAAAAA1": "2", "AKIABBBBBBBBBBBBBBB2": "1"])
    #expect(Self.column(r, "distinct_ips").sorted() == ["1", "2"])
  }

  @Test func outsideKeepsOnlyAddressesOutsideTheNetworks() throws {
    var d = try Self.data([
      Self.presigned(minute: 10, akid: "ASIAAAAAAAAAAAAAAAA1", ip: "10.0.0.5"),
      Self.presigned(minute: 20, akid: "ASIAAAAAAAAAAAAAAAA1", ip: "198.51.100.7"),
      Self.presigned(minute: 30, akid: "ASIAAAAAAAAAAAAAAAA1", ip: "2001:db8::5"),
    ])
    let r = try Hunts.outside(&d, allow: [CIDR("10.0.0.0/8")!, CIDR("2001:db8::/32")!])
    #expect(Self.column(r, "remote_ip") == ["198.51.100.7"])
  }

  @Test func writesAreThePresignedPutsNotTheGets() throws {
    var d = try Self.data([
      Self.presigned(minute: 10, akid: "AKIABBBBBBBBBBBBBBB2", ip: "198.51.100.8", method: "PUT"),
      Self.presigned(minute: 11, akid: "AKIABBBBBBBBBBBBBBB2", ip: "198.51.100.8"),
    ])
    let r = try Hunts.writes(&d)
    #expect(Self.column(r, "operation") == ["REST.PUT.OBJECT"])
  }

  @Test func spreadNeedsEnoughAddresses() throws {
    let ips = ["198.51.100.1", "198.51.100.2", "198.51.100.3"]
    var d = try Self.data(
      ips.enumerated().map { Self.presigned(minute: 10 + $0.offset, akid: "AKIABBBBBBBBBBBBBBB2", ip: $0.element) }
        + [Self.presigned(minute: 40, akid: "AKIACCCCCCCCCCCCCCC3", ip: "198.51.100.9", key: "alone.bin")])
    let three = try Hunts.spread(&d, minimumIPs: 3, minimumAgents: 0)
    #expect(Set(Self.column(three, "signer_akid")) == ["AKIABBBBBBBBBBBBBBB2"])
    let four = try Hunts.spread(&d, minimumIPs: 4, minimumAgents: 0)
    #expect(four.rows.isEmpty)
  }

  @Test func longLivedComparesTheValidityWithTheThreshold() throws {
    var d = try Self.data([
      Self.presigned(minute: 10, akid: "AKIABBBBBBBBBBBBBBB2", ip: "10.0.0.5", expires: 604_800),
      Self.presigned(minute: 20, akid: "AKIACCCCCCCCCCCCCCC3", ip: "10.0.0.5", key: "short.bin", expires: 3600),
    ])
    let r = try Hunts.longLived(&d, over: 12 * 3_600_000_000)
    #expect(Self.column(r, "signer_akid") == ["AKIABBBBBBBBBBBBBBB2"])
    #expect(Self.column(r, "effective_validity_seconds") == ["604800"])
  }
}
