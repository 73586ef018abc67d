import Foundation
import Shards
import Testing

@testable import Hunts

/// Every column a hunt reads is a column the writer writes: a renamed or dropped column fails here,
/// naming the hunt's file and line, instead of silently emptying the hunt.
@Suite struct ColumnReferenceTests {
  static let written = Set(
    S3AccessSchema.schema.columns.map(\.name) + CloudTrailSchema.schema.columns.map(\.name))

  @Test func theScanListsNameWrittenColumns() {
    let access = Set(S3AccessSchema.schema.columns.map(\.name))
    let trail = Set(CloudTrailSchema.schema.columns.map(\.name))
    for name in HuntData.accessColumns where !access.contains(name) { Issue.record("s3_access has no \(name)") }
    for name in HuntData.trailColumns where !trail.contains(name) { Issue.record("cloudtrail has no \(name)") }
    for name in HuntData.useRowColumns where !Self.written.contains(name) { Issue.record("no table has \(name)") }
  }

  /// Column names in predicates and column lists of the hunts' sources.
  @Test func everyColumnTheHuntsNameIsWritten() throws {
    let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent("Sources/Hunts")
    let files = try FileManager.default.contentsOfDirectory(atPath: sources.path).filter { $0.hasSuffix(".swift") }
    #expect(files.count > 5)
    // `.compare("x", …)`, `.isIn("x", …)`, `.isNull("x")`, `.startsWith("x", …)`, `.within("x", …)`,
    // and literal column lists handed to a scan (`request(files, ["a", "b"], …)`).
    let predicate = try Regex(#"\.(compare|isIn|isNull|startsWith|within)\("([a-z0-9_]+)""#)
    let list = try Regex(#"request\(\s*\w+,\s*\[([^\]]*)\]"#)
    var checked = 0
    for file in files {
      let text = try String(contentsOf: sources.appendingPathComponent(file), encoding: .utf8)
      let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
      for (n, line) in lines.enumerated() {
        for match in line.matches(of: predicate) {
          let name = String(match.output[2].substring!)
          checked += 1
          if !Self.written.contains(name) { Issue.record("\(file):\(n + 1) names column \(name), which no table has") }
        }
      }
      for match in text.matches(of: list) {
        for quoted in match.output[1].substring!.split(separator: ",") {
          let name = quoted.trimmingCharacters(in: .whitespacesAndNewlines).trimmingCharacters(in: ["\""])
          guard !name.isEmpty else { continue }
          checked += 1
          if !Self.written.contains(name) { Issue.record("\(file) scans column \(name), which no table has") }
        }
      }
    }
    #expect(checked > 30)
  }
}
