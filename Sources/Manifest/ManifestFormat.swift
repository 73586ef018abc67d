import Crypto
import LogBytes

/// The text form of manifest segments: one entry per line, tab-separated fields, with `\`, tab,
/// newline and carriage return escaped so any path round-trips. Plain text on purpose: a
/// responder can read, grep and diff it with nothing but a shell.
///
/// A segment ends with `end <entries> <SHA-256 of the text before that line>`, so a segment cut
/// short (even at a line boundary) or overwritten is told from a complete one. Segments of the
/// first version, written before that line existed, are read without it.
public enum ManifestFormat {
  public static let header = "sigtrail-manifest 2"
  static let firstVersionHeader = "sigtrail-manifest 1"

  public static func encode(_ entries: [ManifestEntry]) -> String {
    var out = header + "\n"
    for e in entries {
      let fields: [String]
      switch e {
      case .input(let p):
        fields =
          [
            "input", p.path, String(p.size), String(p.modifiedNanos), String(p.range.lowerBound),
            String(p.range.upperBound), p.contentHash ?? "-", p.status, String(p.lines), String(p.rows),
            String(p.rejected), p.note,
          ] + (p.etag.map { [$0] } ?? [])
      case .part(let p):
        fields = ["part", p.table, p.partition, p.path, String(p.rows), String(p.bytes)]
      case .replace(let old, let new):
        fields = ["replace", old, new ?? "-"]
      case .retract(let path):
        fields = ["retract", path]
      case .touch(let path, let size, let mtime):
        fields = ["touch", path, String(size), String(mtime)]
      case .begin(let run):
        fields = ["begin", run]
      }
      out += fields.map(escape).joined(separator: "\t") + "\n"
    }
    return out + "end\t\(entries.count)\t\(digest(out))\n"
  }

  static func digest(_ text: String) -> String {
    var hex: [UInt8] = []
    SHA256.hash(data: Array(text.utf8)).withUnsafeBytes { Hex.append($0, to: &hex) }
    return String(decoding: hex, as: UTF8.self)
  }

  /// Whether a path read from a manifest names a file inside the output directory: relative,
  /// without `.` or `..` components. Every path the manifest names is joined to the output
  /// directory and read, rewritten or deleted, so a tampered segment must not reach outside it.
  public static func isInsideOutput(_ path: String) -> Bool {
    guard !path.isEmpty, !path.hasPrefix("/"), !path.utf8.contains(0) else { return false }
    return !path.split(separator: "/", omittingEmptySubsequences: false).contains {
      $0 == ".." || $0 == "." || $0.isEmpty
    }
  }

  public static func decode(_ text: String, name: String) throws -> [ManifestEntry] {
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    let versioned = lines.first == Substring(header)
    guard versioned || lines.first == Substring(firstVersionHeader) else {
      throw ManifestError("\(name): not a sigtrail manifest segment (first line is not '\(header)')")
    }
    if lines.last == "" { lines.removeLast() }
    if versioned {
      // The end line must be there and agree with what precedes it.
      let complete = lines.count >= 2 && lines.last!.hasPrefix("end\t")
      let body = complete ? lines.dropLast().joined(separator: "\n") + "\n" : ""
      let end = complete ? lines.last!.split(separator: "\t") : []
      guard complete, end.count == 3, Int(end[1]) == lines.count - 2, String(end[2]) == digest(body) else {
        throw ManifestError(
          "\(name): incomplete or altered manifest segment (its end line is missing or does not match its "
            + "\(lines.count - 1) lines)")
      }
      lines.removeLast()
    }
    func path(_ p: String, _ n: Int) throws -> String {
      guard isInsideOutput(p) else {
        throw ManifestError("\(name): line \(n + 1): '\(p)' is not a path inside the output directory")
      }
      return p
    }
    var entries: [ManifestEntry] = []
    for (n, line) in lines.enumerated().dropFirst() {
      let f = line.split(separator: "\t", omittingEmptySubsequences: false).map { unescape(String($0)) }
      func int(_ i: Int) throws -> Int64 {
        guard i < f.count, let v = Int64(f[i]) else {
          throw ManifestError("\(name): line \(n + 1): field \(i + 1) is not a number")
        }
        return v
      }
      func need(_ count: Int) throws {
        guard f.count >= count else {
          throw ManifestError("\(name): line \(n + 1): \(f.count) fields, expected \(count)")
        }
      }
      switch f.first {
      case "input":
        try need(12)
        let start = try int(4)
        let end = try int(5)
        guard start <= end else { throw ManifestError("\(name): line \(n + 1): empty range") }
        entries.append(
          .input(
            InputPiece(
              path: f[1], size: try int(2), modifiedNanos: try int(3), range: start..<end,
              contentHash: f[6] == "-" ? nil : f[6], status: f[7], note: f[11], lines: try int(8), rows: try int(9),
              rejected: try int(10), etag: f.count > 12 ? f[12] : nil)))
      case "part":
        try need(6)
        entries.append(
          .part(
            PartRecord(table: f[1], partition: f[2], path: try path(f[3], n), rows: try int(4), bytes: try int(5))))
      case "replace":
        try need(3)
        entries.append(.replace(old: try path(f[1], n), new: f[2] == "-" ? nil : try path(f[2], n)))
      case "retract":
        try need(2)
        entries.append(.retract(path: f[1]))
      case "begin":
        try need(2)
        entries.append(.begin(run: f[1]))
      case "touch":
        try need(4)
        entries.append(.touch(path: f[1], size: try int(2), modifiedNanos: try int(3)))
      default:
        throw ManifestError("\(name): line \(n + 1): unknown entry '\(f.first ?? "")'")
      }
    }
    return entries
  }

  /// What can be read of a damaged segment, line by line: the inputs its `input` lines name and
  /// the parts its `part` lines name (for repair: those inputs are indexed again, those parts set
  /// aside). Lines that do not parse are passed over.
  public static func salvage(_ text: String) -> (inputs: [String], parts: [String]) {
    var inputs: [String] = []
    var parts: [String] = []
    for line in text.split(separator: "\n") {
      let f = line.split(separator: "\t", omittingEmptySubsequences: false).map { unescape(String($0)) }
      if f.first == "input", f.count >= 2 { inputs.append(f[1]) }
      if f.first == "part", f.count >= 4, isInsideOutput(f[3]) { parts.append(f[3]) }
    }
    return (inputs, parts)
  }

  static func escape(_ s: String) -> String {
    guard s.utf8.contains(where: { $0 == 0x5C || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }) || s == "-" else {
      return s
    }
    if s == "-" { return "\\-" }
    var out = String.UnicodeScalarView()
    for c in s.unicodeScalars {
      switch c {
      case "\\": out.append(contentsOf: "\\\\".unicodeScalars)
      case "\t": out.append(contentsOf: "\\t".unicodeScalars)
      case "\n": out.append(contentsOf: "\\n".unicodeScalars)
      case "\r": out.append(contentsOf: "\\r".unicodeScalars)
      default: out.append(c)
      }
    }
    return String(out)
  }

  static func unescape(_ s: String) -> String {
    guard s.contains("\\") else { return s }
    var out = String.UnicodeScalarView()
    var escaped = false
    for c in s.unicodeScalars {
      if escaped {
        switch c {
        case "t": out.append("\t")
        case "n": out.append("\n")
        case "r": out.append("\r")
        default: out.append(c)
        }
        escaped = false
      } else if c == "\\" {
        escaped = true
      } else {
        out.append(c)
      }
    }
    return String(out)
  }
}

public struct ManifestError: Error, CustomStringConvertible, Sendable {
  public var description: String
  public init(_ description: String) { self.description = description }
}
