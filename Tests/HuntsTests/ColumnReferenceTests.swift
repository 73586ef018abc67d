import Foundation
import ShardSchema
import Testing

@testable import Hunts

/// Hunts name columns through `ColumnName`, so a renamed or dropped column fails to compile;
/// what the compiler cannot see is checked here: that each field of a use is read from a column
/// of the right table, and that no hunt names a column with a bare string literal.
@Suite struct ColumnReferenceTests {
  static let access = Set(S3AccessSchema.schema.columns.map(\.name))
  static let trail = Set(CloudTrailSchema.schema.columns.map(\.name))

  @Test func eachUseFieldIsAColumnOfItsTable() {
    for field in UseColumns.Field.allCases {
      if let name = UseColumns.access[field], !Self.access.contains(name) {
        Issue.record("UseColumns.access.\(field): s3_access has no \(name)")
      }
      if let name = UseColumns.trail[field], !Self.trail.contains(name) {
        Issue.record("UseColumns.trail.\(field): cloudtrail has no \(name)")
      }
    }
    for name in HuntData.useRowColumns where !Self.access.union(Self.trail).contains(name) {
      Issue.record("HuntData.useRowColumns: no table has \(name)")
    }
  }

  /// `.compare("x", …)` and the like, or a literal column list handed to a scan, would escape
  /// the compiler: each is reported with its file and line.
  @Test func noHuntNamesAColumnByALiteral() throws {
    let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent("Sources/Hunts")
    let files = try FileManager.default.contentsOfDirectory(atPath: sources.path).filter { $0.hasSuffix(".swift") }
    #expect(files.count > 5)
    let literal = try Regex(#"\.(compare|isIn|isNull|startsWith|endsWith|within)\(\s*"|request\(\s*\w+,\s*\[\s*""#)
    var named = 0
    for file in files {
      let text = try String(contentsOf: sources.appendingPathComponent(file), encoding: .utf8)
      for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
        named += line.matches(of: /ColumnName\.\w+/).count
        if line.contains(literal) { Issue.record("\(file):\(n + 1) names a column by a string literal") }
      }
    }
    #expect(named > 30)
  }
}
