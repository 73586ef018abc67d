import Foundation
import Query

/// Writes result rows as an aligned table (terminals), CSV, JSON or JSON Lines (pipes).
enum ResultFormat: String, CaseIterable {
  case table, csv, json, jsonl

  static var automatic: ResultFormat { isatty(STDOUT_FILENO) == 1 ? .table : .jsonl }
}

enum ResultWriter {
  static func write(header: [String], rows: [[Value]], format: ResultFormat) {
    var out = ""
    switch format {
    case .table:
      let cells = [header] + rows.map { $0.map { $0.isNull ? "-" : $0.text } }
      out = Table.align(cells).joined(separator: "\n") + "\n"
      out += "(\(rows.count) row\(rows.count == 1 ? "" : "s"))\n"
    case .csv:
      out =
        ([header.map(csv)] + rows.map { $0.map { csv($0.text) } }).map { $0.joined(separator: ",") }.joined(
          separator: "\n") + "\n"
    case .json:
      out = "[" + rows.map { object(header, $0) }.joined(separator: ",\n ") + "]\n"
    case .jsonl:
      out = rows.map { object(header, $0) + "\n" }.joined()
    }
    FileHandle.standardOutput.write(Data(out.utf8))
  }

  static func csv(_ s: String) -> String {
    s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
      ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
  }

  static func object(_ header: [String], _ row: [Value]) -> String {
    "{" + zip(header, row).map { "\(json($0)):\(json($1))" }.joined(separator: ",") + "}"
  }

  static func json(_ v: Value) -> String {
    switch v {
    case .null: return "null"
    case .bool(let b): return b ? "true" : "false"
    case .int(let i): return String(i)
    case .double(let d): return d.isFinite ? String(d) : "null"
    default: return json(v.text)
    }
  }

  static func json(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
      switch u {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      default:
        if u.value < 0x20 {
          out += String(format: "\\u%04x", u.value)
        } else {
          out.unicodeScalars.append(u)
        }
      }
    }
    return out + "\""
  }

  static func explain(_ s: ScanStatistics, json asJSON: Bool) {
    let text: String
    if asJSON {
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.sortedKeys]
      text = String(decoding: (try? encoder.encode(s)) ?? Data(), as: UTF8.self)
    } else {
      text =
        "explain: \(s.files) files (\(s.filesSkippedByPartition) skipped by partition), \(s.rowGroups) row groups: "
        + "\(s.rowGroupsRead) read, \(s.rowGroupsSkippedByStatistics) skipped by min/max, "
        + "\(s.rowGroupsSkippedByBloomFilter) skipped by bloom filter; \(s.rowsRead) rows read, \(s.rowsMatched) matched, "
        + "\(s.bytesRead) column bytes decoded"
    }
    FileHandle.standardError.write(Data((text + "\n").utf8))
  }
}
