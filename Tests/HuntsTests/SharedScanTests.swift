import Query
import Testing

@testable import Hunts

/// The report decides its findings from one scan (`SharedScan`); each hunt alone scans for
/// itself. Both must flag the same uses of the same URLs, on the scenarios of the hunt tests.
@Suite struct SharedScanTests {
  typealias Lines = HuntScenarioTests
  typealias Trail = CloudTrailHuntTests

  /// Each flagged use as (URL id, use key), from a use-level hunt's rows.
  static func flagged(_ r: HuntResult) -> Set<String> {
    let url = r.header.firstIndex(of: "url_id")!
    let id = r.header.firstIndex(of: "id")!
    return Set(r.rows.map { "\($0[url].text) \(RowHash.text($0[id].text))" })
  }

  static func flagged(_ f: Flagged) -> Set<String> {
    Set(f.uses.map { "\(PresignedUse.urlID($0.url)) \($0.id)" })
  }

  static func weights(_ f: Flagged) -> [String: Int] {
    Dictionary(uniqueKeysWithValues: f.urls.map { ($0.id, $0.weight) })
  }

  @Test func useLevelFindingsAgreeWithTheHunts() throws {
    let allow = [CIDR("10.0.0.0/8")!, CIDR("2001:db8::/32")!]
    var d = try Lines.data([
      Lines.presigned(minute: 10, akid: "ASIAAAAAAAAAAAAAAAA1", ip: "10.0.0.5"),
      Lines.presigned(minute: 20, akid: "ASIAAAAAAAAAAAAAAAA1", ip: "198.51.100.7"),
      Lines.presigned(minute: 21, akid: "ASIAAAAAAAAAAAAAAAA1", ip: "198.51.100.7", method: "PUT"),
      Lines.presigned(minute: 30, akid: "ASIAAAAAAAAAAAAAAAA1", ip: "2001:db8::5"),
      Lines.presigned(minute: 31, akid: "AKIABBBBBBBBBBBBBBB2", ip: "not-an-address", key: "b.bin"),
      Lines.presigned(minute: 32, akid: "AKIABBBBBBBBBBBBBBB2", ip: "198.51.100.9", key: "b.bin", method: "DELETE"),
    ])
    let scan = try SharedScan(&d, allow: allow)
    let outside = try Hunts.outside(&d, allow: allow)
    #expect(Self.flagged(outside).count == 4)
    #expect(Self.flagged(scan.outside()) == Self.flagged(outside))
    let writes = try Hunts.writes(&d)
    #expect(Self.flagged(writes).count == 2)
    #expect(Self.flagged(scan.writes()) == Self.flagged(writes))
    // The URL's first flagged use orders the URLs; each weighs the uses it flags.
    #expect(scan.outside().urls.map(\.weight) == [2, 2])
  }

  @Test func urlLevelFindingsAgreeWithTheHunts() throws {
    let ips = ["198.51.100.1", "198.51.100.2", "198.51.100.3"]
    var d = try Lines.data(
      ips.enumerated().map { Lines.presigned(minute: 10 + $0.offset, akid: "AKIABBBBBBBBBBBBBBB2", ip: $0.element) }
        + [
          Lines.presigned(minute: 40, akid: "AKIACCCCCCCCCCCCCCC3", ip: "10.0.0.5", key: "week.bin", expires: 604_800),
          Lines.presigned(minute: 41, akid: "AKIACCCCCCCCCCCCCCC3", ip: "10.0.0.5", key: "week.bin", expires: 604_800),
          Lines.presigned(
            minute: 42, akid: "ASIACCCCCCCCCCCCCCC4", ip: "10.0.0.5", key: "capped.bin", expires: 604_800),
        ])
    let scan = try SharedScan(&d, allow: [])
    let spread = try Hunts.spread(&d, minimumIPs: 3, minimumAgents: 0)
    #expect(Self.weights(scan.spread(minimumIPs: 3)).keys.sorted() == Lines.column(spread, "url_id").sorted())
    #expect(scan.spread(minimumIPs: 3).urls.allSatisfy { $0.everyUse })
    let over: Int64 = 12 * 3_600_000_000
    let long = try Hunts.longLived(&d, over: over)
    let shared = scan.longLived(over: over, issued: [])
    #expect(shared.urls.map(\.id) == Lines.column(long, "url_id"))
    #expect(
      shared.urls.map { $0.detail["effective_validity_seconds"]?.text ?? "" }
        == Lines.column(long, "effective_validity_seconds"))
    // Longest first: the week-long URL (two uses), then the session capped at 36 hours.
    #expect(shared.urls.map(\.weight) == [2, 1])
  }

  @Test func lineageFindingsAgreeWithTheHunts() throws {
    var d = try Trail.terminated(
      trail: [
        Trail.revoke(60, before: 59, id: 4), Trail.assume(70, Trail.later, instance: "i-0aaa1aaaa1aaaa1a1", id: 5),
      ],
      access: [
        Lines.presigned(minute: 65, akid: Trail.key, ip: "198.51.100.8", status: 403),
        Lines.presigned(minute: 80, akid: Trail.later, ip: "10.0.0.9"),
      ])
    let scan = try SharedScan(&d, allow: [])
    let issued = try d.issuedKeys()
    let ended = try Hunts.afterTermination(&d)
    let sharedEnded = scan.afterTermination(ends: try d.instanceEnds(), issued: issued)
    #expect(Self.flagged(ended).count == 3)
    #expect(Self.flagged(sharedEnded) == Self.flagged(ended))
    #expect(sharedEnded.urls.first?.detail["instance_id"] == .string("i-0aaa1aaaa1aaaa1a1"))
    let revoked = try Hunts.afterRevocations(&d)
    let cuts = try d.revocations().map { (principal: $0.principal, at: $0.time, before: $0.before) }
    let sharedRevoked = scan.afterRevocation(cuts, issued: issued)
    #expect(Self.flagged(revoked).count == 1)
    #expect(Self.flagged(sharedRevoked) == Self.flagged(revoked))
  }
}
