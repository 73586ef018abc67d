/// Decides what a file is before and after its first bytes are seen.
public enum InputClassifier {
  /// A reason to skip a file by its place in an `AWSLogs/` tree, or nil. CloudTrail digests and
  /// Insights and other services' logs sit beside CloudTrail logs and are not events we index.
  public static func skipReason(forPath path: String) -> String? {
    let parts = path.split(separator: "/")
    guard let root = parts.lastIndex(of: "AWSLogs") else { return nil }
    var i = root + 1
    if i < parts.count && parts[i].hasPrefix("o-") { i += 1 }  // organization trail
    guard i + 1 < parts.count, parts[i].count == 12, parts[i].allSatisfy(\.isNumber) else { return nil }
    let service = parts[i + 1]
    switch service {
    case "CloudTrail": return nil
    case "CloudTrail-Digest": return "CloudTrail digest file (log validation), not events"
    case "CloudTrail-Insight": return "CloudTrail Insights file, not API events"
    default: return "AWSLogs/\(service) logs are not indexed by sigtrail"
    }
  }

  /// How to read a file, from its first decompressed bytes.
  public static func mode(forHead head: UnsafeRawBufferPointer) -> ContentModeDecision {
    if head.contains(0) { return .skip("binary content (NUL bytes), not a log") }
    for b in head where b != 0x20 && b != 0x0A && b != 0x0D && b != 0x09 {
      if b == UInt8(ascii: "{") || b == UInt8(ascii: "[") { return .json }
      break
    }
    // CloudWatch Logs exports of access logs: `TIMESTAMP {json}` lines (AccessLogJSON).
    if AccessLogJSON.matches(head) { return .json }
    if !head.isEmpty && !containsAccessLogTime(head) {
      return .skip("text without an S3 access-log time ([dd/Mon/yyyy:HH:MM:SS +hhmm]) in its first 4 KB")
    }
    return .text
  }

  /// True when `head` holds `[dd/Mon/yyyy:` somewhere: every access-log line has one, and a
  /// README, CSV or another service's log does not.
  static func containsAccessLogTime(_ head: UnsafeRawBufferPointer) -> Bool {
    func digit(_ i: Int) -> Bool { head[i] >= 0x30 && head[i] <= 0x39 }
    func letter(_ i: Int) -> Bool { (head[i] | 0x20) >= 0x61 && (head[i] | 0x20) <= 0x7A }
    var i = 0
    while i + 13 <= head.count {
      if head[i] == UInt8(ascii: "["), digit(i + 1), digit(i + 2), head[i + 3] == UInt8(ascii: "/"), letter(i + 4),
        letter(i + 5), letter(i + 6), head[i + 7] == UInt8(ascii: "/"), digit(i + 8), digit(i + 9), digit(i + 10),
        digit(i + 11), head[i + 12] == UInt8(ascii: ":")
      {
        return true
      }
      i += 1
    }
    return false
  }

  public enum ContentModeDecision: Equatable {
    case text
    case json
    case skip(String)
  }
}
