import Foundation

/// The public sample lines in `../shared/samples/s3-access-logs.txt`, grouped by source.
/// Tests that use them skip when the folder is absent (it is never copied into the repository).
struct SharedSamples {
  struct Line {
    var text: String
    /// False for groups the file marks EDITED, MALFORMED, SYNTHETIC, NOT AWS or NON-CONFORMING.
    var genuine: Bool
    var source: String
  }

  static let path: String = {
    let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .deletingLastPathComponent().deletingLastPathComponent()
    return repository.deletingLastPathComponent().appendingPathComponent("shared/samples/s3-access-logs.txt").path
  }()

  static var available: Bool { FileManager.default.fileExists(atPath: path) }

  static func load() throws -> [Line] {
    let text = try String(contentsOfFile: path, encoding: .utf8)
    var lines: [Line] = []
    var source = ""
    var genuine = true
    let markers = ["EDITED", "MALFORMED", "SYNTHETIC", "NOT AWS", "NON-CONFORMING"]
    for raw in text.split(separator: "\n", omittingEmptySubsequences: true) {
      let line = String(raw)
      if line.hasPrefix("# source:") {
        source = line
        genuine = true
        continue
      }
      if line.hasPrefix("#") {
        if !source.isEmpty && markers.contains(where: { line.contains($0) }) { genuine = false }
        continue
      }
      lines.append(Line(text: line, genuine: genuine, source: source))
    }
    return lines
  }

  /// The one sample line containing `needle`.
  static func line(containing needle: String) throws -> String {
    let matches = try load().filter { $0.text.contains(needle) }
    guard matches.count >= 1 else { throw SampleError("no sample line contains \(needle)") }
    return matches[0].text
  }

  struct SampleError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
  }
}
