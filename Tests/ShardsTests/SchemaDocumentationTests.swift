import Foundation
import Parquet
import ShardSchema
import Testing

/// docs/tables.md names every column of each table in that table's section: a column added,
/// renamed or dropped in `ShardSchema` fails here until the documentation follows.
@Suite struct SchemaDocumentationTests {
  static func section(_ doc: String, of table: ShardTable) -> Substring? {
    guard let start = doc.range(of: "## The `\(table.rawValue)` table") else { return nil }
    let rest = doc[start.upperBound...]
    let end = rest.range(of: "\n## The `")?.lowerBound ?? rest.endIndex
    return rest[..<end]
  }

  @Test(arguments: ShardTable.allCases)
  func everyColumnIsDocumented(table: ShardTable) throws {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent("docs/tables.md")
    let doc = try String(contentsOf: url, encoding: .utf8)
    let section = try #require(Self.section(doc, of: table), "docs/tables.md has no section for \(table.rawValue)")
    let schema: Schema =
      switch table {
      case .s3Access: S3AccessSchema.schema
      case .cloudtrail: CloudTrailSchema.schema
      case .rejects: RejectsSchema.schema
      }
    #expect(schema.name == table.rawValue)
    for column in schema.columns where !section.contains("`\(column.name)`") {
      Issue.record("docs/tables.md: the \(table.rawValue) section does not name column `\(column.name)`")
    }
  }
}
