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
    Array(text.utf8).withUnsafeBytes { digest($0) }
  }

  static func digest(_ bytes: UnsafeRawBufferPointer) -> String {
    var hex: [UInt8] = []
    SHA256.hash(data: bytes).withUnsafeBytes { Hex.append($0, to: &hex) }
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
    try decode(bytes: Array(text.utf8), name: name)
  }

  /// Decodes a segment from its bytes: lines and fields are found by scanning bytes, and a
  /// field becomes a String only when an entry keeps it (every query and hunt replays the
  /// manifest, so this runs once per segment per command).
  public static func decode(bytes: [UInt8], name: String) throws -> [ManifestEntry] {
    try bytes.withUnsafeBufferPointer { b throws -> [ManifestEntry] in
      var lines: [Range<Int>] = []
      var start = 0
      while start < b.count {
        let end = b[start...].firstIndex(of: 0x0A) ?? b.count
        lines.append(start..<end)
        start = end + 1
      }
      func equals(_ r: Range<Int>, _ s: String) -> Bool { b[r].elementsEqual(s.utf8) }
      let versioned = lines.first.map { equals($0, header) } ?? false
      guard versioned || (lines.first.map { equals($0, firstVersionHeader) } ?? false) else {
        throw ManifestError("\(name): not a sigtrail manifest segment (first line is not '\(header)')")
      }
      if versioned {
        // The end line must be there and agree with what precedes it.
        let last = lines[lines.count - 1]
        let end = lines.count >= 2 && b[last].starts(with: "end\t".utf8) ? fields(b, last) : []
        let body = UnsafeBufferPointer(rebasing: b[0..<last.lowerBound])
        guard end.count == 3, integer(b, end[1]) == Int64(lines.count - 2),
          b[end[2]].elementsEqual(digest(UnsafeRawBufferPointer(body)).utf8)
        else {
          throw ManifestError(
            "\(name): incomplete or altered manifest segment (its end line is missing or does not match its "
              + "\(lines.count - 1) lines)")
        }
        lines.removeLast()
      }
      var entries: [ManifestEntry] = []
      entries.reserveCapacity(lines.count)
      for (n, line) in lines.enumerated().dropFirst() {
        let f = fields(b, line)
        func text(_ i: Int) -> String { unescape(b, f[i]) }
        func int(_ i: Int) throws -> Int64 {
          guard i < f.count, let v = integer(b, f[i]) else {
            throw ManifestError("\(name): line \(n + 1): field \(i + 1) is not a number")
          }
          return v
        }
        func need(_ count: Int) throws {
          guard f.count >= count else {
            throw ManifestError("\(name): line \(n + 1): \(f.count) fields, expected \(count)")
          }
        }
        func path(_ i: Int) throws -> String {
          let p = text(i)
          guard isInsideOutput(p) else {
            throw ManifestError("\(name): line \(n + 1): '\(p)' is not a path inside the output directory")
          }
          return p
        }
        // "-" stands for none; the encoder writes it escaped (`\-`), as it does a real "-".
        func dash(_ i: Int) -> Bool { text(i) == "-" }
        let kind = f[0]
        if equals(kind, "input") {
          try need(12)
          let start = try int(4)
          let end = try int(5)
          guard start <= end else { throw ManifestError("\(name): line \(n + 1): empty range") }
          entries.append(
            .input(
              InputPiece(
                path: text(1), size: try int(2), modifiedNanos: try int(3), range: start..<end,
                contentHash: dash(6) ? nil : text(6), status: text(7), note: text(11), lines: try int(8),
                rows: try int(9), rejected: try int(10), etag: f.count > 12 ? text(12) : nil)))
        } else if equals(kind, "part") {
          try need(6)
          entries.append(
            .part(
              PartRecord(table: text(1), partition: text(2), path: try path(3), rows: try int(4), bytes: try int(5))))
        } else if equals(kind, "replace") {
          try need(3)
          entries.append(.replace(old: try path(1), new: dash(2) ? nil : try path(2)))
        } else if equals(kind, "retract") {
          try need(2)
          entries.append(.retract(path: text(1)))
        } else if equals(kind, "begin") {
          try need(2)
          entries.append(.begin(run: text(1)))
        } else if equals(kind, "touch") {
          try need(4)
          entries.append(.touch(path: text(1), size: try int(2), modifiedNanos: try int(3)))
        } else {
          throw ManifestError("\(name): line \(n + 1): unknown entry '\(text(0))'")
        }
      }
      return entries
    }
  }

  /// The tab-separated fields of a line.
  static func fields(_ b: UnsafeBufferPointer<UInt8>, _ line: Range<Int>) -> [Range<Int>] {
    var out: [Range<Int>] = []
    var start = line.lowerBound
    for i in line where b[i] == 0x09 {
      out.append(start..<i)
      start = i + 1
    }
    out.append(start..<line.upperBound)
    return out
  }

  /// A decimal integer with an optional minus sign, nil on anything else or on overflow.
  static func integer(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Int64? {
    var i = r.lowerBound
    let negative = i < r.upperBound && b[i] == UInt8(ascii: "-")
    if negative { i += 1 }
    guard i < r.upperBound else { return nil }
    var v: Int64 = 0
    while i < r.upperBound {
      let d = Int64(b[i]) - 48
      guard d >= 0, d <= 9 else { return nil }
      let (m, o1) = v.multipliedReportingOverflow(by: 10)
      let (s, o2) = m.addingReportingOverflow(negative ? -d : d)
      guard !o1, !o2 else { return nil }
      v = s
      i += 1
    }
    return v
  }

  /// A field's text with its escapes undone (`\\`, `\t`, `\n`, `\r`, and `\-` for a literal `-`).
  static func unescape(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> String {
    let raw = UnsafeBufferPointer(rebasing: b[r])
    guard raw.contains(0x5C) else { return String(decoding: raw, as: UTF8.self) }
    var out: [UInt8] = []
    out.reserveCapacity(raw.count)
    var escaped = false
    for c in raw {
      if escaped {
        switch c {
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "r"): out.append(0x0D)
        default: out.append(c)
        }
        escaped = false
      } else if c == 0x5C {
        escaped = true
      } else {
        out.append(c)
      }
    }
    return String(decoding: out, as: UTF8.self)
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
