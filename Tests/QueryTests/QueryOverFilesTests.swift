import Foundation
import Parquet
import Testing

@testable import Query

/// `Query` on a Parquet file written here: every `--where` operator and each aggregate against
/// an oracle computed in Swift from the same rows, null semantics included, and the pruning
/// decisions (statistics, bloom filters) the scan reports.
@Suite struct QueryOverFilesTests {
  struct Row: Sendable {
    var t: Int64
    var ip: String?
    var status: Int32?
    var key: String
    var bytes: Int64?
    var ok: Bool
  }

  static let day: Int64 = 86_400_000_000
  static let march1: Int64 = 1_709_251_200_000_000  // 2024-03-01T00:00:00Z

  /// Three row groups, one per day, four rows each.
  static let rows: [Row] = (0..<12).map { i in
    let ips: [String?] = ["10.1.2.3", "192.0.2.1", nil, "198.51.100.7", "2001:db8::5", "10.200.0.1"]
    let statuses: [Int32?] = [200, 403, nil, 200, 500, 403]
    let keys = ["a/1.png", "a/secret.txt", "b/2.png", "c/report.pdf"]
    return Row(
      t: march1 + Int64(i / 4) * day + Int64(i % 4) * 3_600_000_000, ip: ips[i % 6], status: statuses[(i * 5) % 6],
      key: keys[i % 4] + (i < 4 ? "" : String(i)), bytes: i % 3 == 0 ? nil : Int64(i * 50), ok: i % 2 == 0)
  }

  static let path: String = {
    let path = NSTemporaryDirectory() + "sigtrail-query-\(getpid()).parquet"
    let schema = Schema(columns: [
      ColumnDescriptor(
        name: "t", physicalType: .int64, logicalType: .timestampMicrosUTC, nullable: false, fieldId: 1),
      ColumnDescriptor(name: "ip", physicalType: .byteArray, logicalType: .string, fieldId: 2),
      ColumnDescriptor(name: "status", physicalType: .int32, fieldId: 3),
      ColumnDescriptor(
        name: "key", physicalType: .byteArray, logicalType: .string, nullable: false, fieldId: 4, bloomFilter: true),
      ColumnDescriptor(name: "bytes", physicalType: .int64, fieldId: 5),
      ColumnDescriptor(name: "ok", physicalType: .boolean, nullable: false, fieldId: 6),
    ])
    let writer = try! ParquetFileWriter(path: path, schema: schema, options: WriterOptions())
    for g in 0..<3 {
      let group = rows[(g * 4)..<(g * 4 + 4)]
      var ip = ByteArrayValues()
      var key = ByteArrayValues()
      for r in group {
        if let v = r.ip { ip.append(Array(v.utf8)) } else { ip.appendNull() }
        key.append(Array(r.key.utf8))
      }
      try! writer.writeRowGroup([
        .int64(values: group.map(\.t), isNull: group.map { _ in false }),
        .byteArray(ip),
        .int32(values: group.map { $0.status ?? 0 }, isNull: group.map { $0.status == nil }),
        .byteArray(key),
        .int64(values: group.map { $0.bytes ?? 0 }, isNull: group.map { $0.bytes == nil }),
        .boolean(values: group.map(\.ok), isNull: group.map { _ in false }),
      ])
    }
    try! writer.finish(keyValueMetadata: [])
    return path
  }()

  static func query(_ whereText: String, select: String = "key", groupBy: String? = nil, orderBy: String? = nil)
    throws -> QueryRunner.Result
  {
    var request = ScanRequest(files: [path], columns: [])
    request.predicate = try PredicateParser.parse(whereText)
    request.now = march1 + 3 * day
    let spec = try QuerySpec(select: select, groupBy: groupBy, orderBy: orderBy, limit: nil, defaultColumns: [])
    return try QueryRunner.run(request, spec: spec)
  }

  static func inside(_ ip: String, _ network: String) -> Bool {
    CIDR(network)!.contains(IPAddress.parse(Array(ip.utf8))!)
  }

  /// Each operator against its oracle. A comparison with a null value is false, and `not`
  /// turns that false into true (two-valued logic, as the hunts rely on: `not ip within …`
  /// keeps rows without an address).
  static let oracles: [(String, @Sendable (Row) -> Bool)] = [
    ("status = 403", { (r: Row) in r.status == 403 }),
    ("status <> 403", { (r: Row) in r.status != nil && r.status != 403 }),
    ("not status = 403", { (r: Row) in r.status != 403 }),
    ("status >= 403", { (r: Row) in (r.status ?? Int32.min) >= 403 }),
    ("bytes > 300", { (r: Row) in (r.bytes ?? Int64.min) > 300 }),
    ("bytes <= 300", { (r: Row) in r.bytes.map { $0 <= 300 } ?? false }),
    ("ip within 10.0.0.0/8", { (r: Row) in r.ip.map { inside($0, "10.0.0.0/8") } ?? false }),
    (
      "ip within 2001:db8::/32, 198.51.100.0/24",
      { (r: Row) in
        r.ip.map { inside($0, "2001:db8::/32") || inside($0, "198.51.100.0/24") } ?? false
      }
    ),
    ("not ip within 10.0.0.0/8", { (r: Row) in !(r.ip.map { inside($0, "10.0.0.0/8") } ?? false) }),
    ("ip in (192.0.2.1, 198.51.100.7)", { (r: Row) in r.ip == "192.0.2.1" || r.ip == "198.51.100.7" }),
    (
      "key in (a/1.png, b/26, b/6.png, c/7, c/report.pdf7, x, y)",
      { (r: Row) in
        ["a/1.png", "b/6.png", "c/report.pdf7"].contains(r.key)
      }
    ),
    ("key startswith 'a/'", { (r: Row) in r.key.hasPrefix("a/") }),
    ("key endswith '.png'", { (r: Row) in r.key.hasSuffix(".png") }),
    ("key contains 'secret'", { (r: Row) in r.key.contains("secret") }),
    ("ip is null", { (r: Row) in r.ip == nil }),
    ("ip is not null", { (r: Row) in r.ip != nil }),
    ("t >= 2024-03-02 and t < 2024-03-03", { (r: Row) in r.t >= march1 + day && r.t < march1 + 2 * day }),
    ("t >= 2d", { (r: Row) in r.t >= march1 + day }),
    ("ok = true", { (r: Row) in r.ok }),
    ("status = 403 or ip is null", { (r: Row) in r.status == 403 || r.ip == nil }),
    (
      "(status = 200 or status = 500) and not ok = true",
      { (r: Row) in
        (r.status == 200 || r.status == 500) && !r.ok
      }
    ),
  ]

  @Test(arguments: oracles.indices)
  func operatorMatchesItsOracle(index: Int) throws {
    let (whereText, oracle) = Self.oracles[index]
    let got = try Self.query(whereText).rows.map { $0[0] }
    let expected = Self.rows.filter(oracle).map { Value.string($0.key) }.sorted()
    #expect(got == expected, "\(whereText)")
    // Each case tells rows apart: it keeps some and drops some.
    #expect((1..<Self.rows.count).contains(expected.count), "\(whereText) keeps \(expected.count) rows")
  }

  @Test func aggregatesFollowSQL() throws {
    let r = try Self.query(
      "", select: "status, count(), count(distinct ip), sum(bytes), min(t), max(key)", groupBy: "status",
      orderBy: "status")
    #expect(r.header == ["status", "count", "count_distinct_ip", "sum_bytes", "min_t", "max_key"])
    let groups = Dictionary(grouping: Self.rows, by: \.status)
    // Nulls form their own group, first; count(distinct) and sum leave nulls out; a sum of
    // only nulls is null.
    #expect(r.rows.map { $0[0] } == [.null, .int(200), .int(403), .int(500)])
    for row in r.rows {
      let status: Int32? = if case .int(let s) = row[0] { Int32(s) } else { nil }
      let members = groups[status]!
      let bytes = members.compactMap(\.bytes)
      #expect(row[1] == .int(Int64(members.count)))
      #expect(row[2] == .int(Int64(Set(members.compactMap(\.ip)).count)))
      #expect(row[3] == (bytes.isEmpty ? .null : .int(bytes.reduce(0, +))))
      #expect(row[4] == .timestamp(members.map(\.t).min()!))
      #expect(row[5] == .string(members.map(\.key).max()!))
    }
    let total = try Self.query("bytes > 100000", select: "count(), sum(bytes)")
    #expect(total.rows == [[.int(0), .null]])
  }

  @Test func statisticsAndBloomFiltersSkipRowGroups() throws {
    // Times: each row group holds one day, so two of three are skipped on min/max alone.
    let late = try Self.query("t >= 2024-03-03")
    #expect(late.statistics.rowGroups == 3)
    #expect(late.statistics.rowGroupsSkippedByStatistics == 2)
    #expect(late.rows.count == 4)
    // A key inside every group's min/max but in none: the bloom filters skip all three.
    let absent = try Self.query("key = 'b/5'")
    #expect(absent.rows.isEmpty)
    #expect(absent.statistics.rowGroupsSkippedByBloomFilter == 3)
    let present = try Self.query("key = 'b/2.png6'")
    #expect(present.rows == [[.string("b/2.png6")]])
    #expect(present.statistics.rowGroupsRead == 1)
  }

  @Test func compileErrorsNameTheColumnAndValue() throws {
    for (text, message) in [
      ("nope = 1", "no column 'nope'"), ("status = abc", "'abc' is not an integer for status"),
      ("t > yesterday", "'yesterday' is not a time for t"), ("status startswith 4", "status is not a text column"),
      ("ok = maybe", "'maybe' is not true or false"),
    ] {
      #expect(throws: QueryError.self, "\(text)") { _ = try Self.query(text) }
      do {
        _ = try Self.query(text)
      } catch {
        #expect("\(error)".contains(message), "\(text): \(error)")
      }
    }
  }
}
