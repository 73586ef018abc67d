import Testing

@testable import Query

@Suite struct PredicateParserTests {
  @Test func parsesPrecedenceListsCIDRsAndNullTests() throws {
    let p = try PredicateParser.parse(
      "a = 'x y' and not b in (1, 2) or c within 10.0.0.0/8, fd00::/8 and d is not null")
    #expect(
      p
        == .or([
          .and([.compare("a", .eq, "x y"), .not(.isIn("b", ["1", "2"]))]),
          .and([.within("c", [CIDR("10.0.0.0/8")!, CIDR("fd00::/8")!]), .not(.isNull("d"))]),
        ]))
    #expect(try PredicateParser.parse("") == .always)
    #expect(try PredicateParser.parse("t >= 2024-03-01T07:10:27Z") == .compare("t", .ge, "2024-03-01T07:10:27Z"))
    #expect(try PredicateParser.parse("k startswith 'it''s'") == .startsWith("k", "it's"))
    #expect(try PredicateParser.parse("x <> -5") == .compare("x", .ne, "-5"))
    for bad in ["a =", "a = 'x", "(a = 1", "a frobs 1", "= 1", "a in (1, 2", "a within nonsense", "a = 1 b"] {
      #expect(throws: QueryError.self, "\(bad)") { _ = try PredicateParser.parse(bad) }
    }
  }
}

@Suite struct LiteralTests {
  @Test func addressesAndNetworks() {
    let v4 = IPAddress.parse(Array("192.0.2.10".utf8))!
    #expect(CIDR("192.0.2.0/24")!.contains(v4))
    #expect(!CIDR("192.0.3.0/24")!.contains(v4))
    #expect(CIDR("0.0.0.0/0")!.contains(v4))
    #expect(CIDR("::/0")!.contains(v4))
    let v6 = IPAddress.parse(Array("2001:db8::1".utf8))!
    #expect(CIDR("2001:db8::/32")!.contains(v6))
    #expect(!CIDR("2001:db9::/32")!.contains(v6))
    #expect(IPAddress.parse(Array("::ffff:192.0.2.10".utf8))! == v4)
    #expect(IPAddress.parse(Array("1:2:3:4:5:6:7:8".utf8)) != nil)
    for bad in ["256.0.0.1", "1.2.3", "1::2::3", "ec2.amazonaws.com", "-", "1:2:3:4:5:6:7:8:9", "12345::"] {
      #expect(IPAddress.parse(Array(bad.utf8)) == nil, "\(bad)")
    }
    #expect(CIDR("10.0.0.0/33") == nil)
  }

  @Test func timesAndDurations() {
    let now: Int64 = 1_709_280_000_000_000  // 2024-03-01T08:00:00Z
    #expect(TimeLiteral.parse("2024-03-01", now: now) == 1_709_251_200_000_000)
    #expect(TimeLiteral.parse("2024-03-01T07:10:27Z", now: now) == 1_709_277_027_000_000)
    #expect(TimeLiteral.parse("7d", now: now) == now - 7 * 86_400_000_000)
    #expect(TimeLiteral.parse("now", now: now) == now)
    #expect(TimeLiteral.parse("yesterday", now: now) == nil)
    #expect(Duration.parse("1h30m") == 5_400_000_000)
    #expect(Duration.parse("12") == nil && Duration.parse("h") == nil && Duration.parse("5x") == nil)
    #expect(Value.iso8601(1_709_277_027_000_001) == "2024-03-01T07:10:27.000001Z")
    #expect(Value.iso8601(-1) == "1969-12-31T23:59:59.999999Z")
  }

  @Test func selectAndOrderSpecs() throws {
    let s = try QuerySpec(
      select: "ip, count(), count(distinct key), max(t)", groupBy: "ip", orderBy: "count desc, ip", limit: 3,
      defaultColumns: [])
    #expect(s.select == [.column("ip"), .count, .countDistinct("key"), .max("t")])
    #expect(s.scanColumns == ["ip", "key", "t"])
    #expect(s.orderBy.map(\.label) == ["count", "ip"] && s.orderBy[0].descending)
    #expect(throws: QueryError.self) {
      _ = try QuerySpec(select: "ip, key", groupBy: "ip", orderBy: nil, limit: nil, defaultColumns: [])
    }
    #expect(throws: QueryError.self) {
      _ = try QuerySpec(select: "ip", groupBy: nil, orderBy: "key", limit: nil, defaultColumns: [])
    }
  }

  @Test func aggregatorMergesPartialStates() throws {
    let spec = try QuerySpec(
      select: "k, count(), count(distinct v), sum(v), min(v)", groupBy: "k", orderBy: nil, limit: nil,
      defaultColumns: [])
    var a = Aggregator(spec: spec)
    var b = Aggregator(spec: spec)
    a.add([.string("x"), .int(3)])
    a.add([.string("x"), .int(1)])
    b.add([.string("x"), .int(3)])
    b.add([.string("y"), .null])
    a.merge(b)
    let rows = a.rows().sorted { $0[0] < $1[0] }
    #expect(rows[0] == [.string("x"), .int(3), .int(2), .int(7), .int(1)])
    #expect(rows[1] == [.string("y"), .int(1), .int(0), .null, .null])
  }
}

/// Arguments an attacker or a slip of the keyboard can give: errors, never a crash.
@Suite struct HostileArgumentTests {
  @Test func nestingIsBoundedNotRecursedIntoAStackOverflow() throws {
    let deep = String(repeating: "not ", count: PredicateParser.maxDepth - 1) + "a = 1"
    #expect(try PredicateParser.parse(deep) != .always)
    for text in [
      String(repeating: "not ", count: 20_000) + "a = 1",
      String(repeating: "(", count: 60_000) + "a = 1" + String(repeating: ")", count: 60_000),
    ] {
      #expect(throws: QueryError.self) { _ = try PredicateParser.parse(text) }
    }
  }

  @Test func agesAndTimesThatOverflowAreNoTime() {
    let now: Int64 = 1_709_280_000_000_000
    for text in ["99999999999d", "9999999999999999999999w", "99999999999999999999", "106751991167d"] {
      #expect(TimeLiteral.parse(text, now: now) == nil, "\(text)")
    }
    #expect(Duration.parse("9223372036854775807s") == nil)
    #expect(TimeLiteral.parse("10000d", now: now) == now - 10_000 * 86_400_000_000)
  }

  /// The order a limited query keeps its candidates in is the order of the answer: `--order-by`
  /// first, then whole rows, so a limit cuts the same rows whatever the thread count.
  @Test func orderingIsTotalAndFollowsOrderBy() throws {
    let spec = try QuerySpec(select: "a, b", groupBy: nil, orderBy: "b desc", limit: 2, defaultColumns: [])
    let order = QueryRunner.ordering(spec, header: ["a", "b"])
    let rows: [[Value]] = [[.int(1), .int(5)], [.int(2), .int(7)], [.int(0), .int(7)], [.int(3), .null]]
    #expect(
      rows.sorted(by: order) == [[.int(0), .int(7)], [.int(2), .int(7)], [.int(1), .int(5)], [.int(3), .null]])
  }
}
