import ArgumentParser
import Foundation
import LogBytes
import Query
import Synchronization

/// Writes result rows as an aligned table (terminals), CSV, JSON or JSON Lines (pipes).
enum ResultFormat: String, CaseIterable {
  case table, csv, json, jsonl

  static var automatic: ResultFormat { isatty(STDOUT_FILENO) == 1 ? .table : .jsonl }
}

/// The output options `query` and `hunt` share: format, `--explain` and threads.
struct ResultOptions: ParsableArguments {
  @Option(help: "table, csv, json or jsonl (default: table on a terminal, jsonl otherwise).")
  var format: String?

  @Flag(help: "Report files and row groups read and skipped (on standard error).")
  var explain = false

  @Option(help: "Threads (default: all cores).")
  var threads: Int?

  func validate() throws {
    if let format, ResultFormat(rawValue: format) == nil {
      throw ValidationError("--format must be table, csv, json or jsonl")
    }
  }

  var threadCount: Int { threads ?? ProcessInfo.processInfo.activeProcessorCount }

  /// Prints the rows in the chosen format, `notes` on standard error, then the scan report when
  /// `--explain` asked for it.
  func emit(header: [String], rows: [[Value]], notes: [String] = [], statistics: ScanStatistics) {
    let chosen = format.flatMap(ResultFormat.init) ?? .automatic
    ResultWriter.write(header: header, rows: rows, format: chosen, threads: threadCount)
    for note in notes { Streams.error("note: \(note)\n") }
    if explain { ResultWriter.explain(statistics, json: chosen == .json || chosen == .jsonl) }
    // Everything is written and the command has nothing left to do: tearing down a large answer
    // (millions of strings, one by one) would take longer than the kernel's reclaiming it.
    if rows.count >= 100_000 { Glibc.exit(EXIT_SUCCESS) }
  }
}

enum ResultWriter {
  /// Output is built as bytes and written in large blocks: result sets of a hunt can be long.
  struct Output {
    var bytes: [UInt8] = []
    /// Whether it writes to standard output as it fills; a buffer formatted on another thread
    /// does not, and is written in its turn.
    let streaming: Bool

    init(streaming: Bool = true, capacity: Int = 1 << 20) {
      self.streaming = streaming
      bytes.reserveCapacity(capacity)
    }

    mutating func append(_ s: String) {
      var s = s
      s.withUTF8 { bytes.append(contentsOf: $0) }
      flushIfLarge()
    }

    mutating func append(byte: UInt8) { bytes.append(byte) }

    mutating func flushIfLarge() {
      if streaming && bytes.count >= 1 << 20 { flush() }
    }

    mutating func flush() {
      bytes.withUnsafeBytes { raw in
        var done = 0
        while done < raw.count {
          let n = Glibc.write(STDOUT_FILENO, raw.baseAddress! + done, raw.count - done)
          if n <= 0 {
            if n < 0 && errno == EINTR { continue }
            return
          }
          done += n
        }
      }
      bytes.removeAll(keepingCapacity: true)
    }
  }

  static func write(header: [String], rows: [[Value]], format: ResultFormat, threads: Int = 1) {
    var out = Output()
    let keys = JSONKeys(header)
    /// One line per row (CSV, JSON Lines): formatted on several threads when there are many.
    func lines(_ line: @escaping @Sendable ([Value], inout Output) -> Void) {
      if rows.count > 2 * blockRows && threads > 1 {
        inParallel(rows, threads: threads, into: &out, line)
      } else {
        for row in rows {
          line(row, &out)
          out.flushIfLarge()
        }
      }
    }
    switch format {
    case .table:
      let cells = [header] + rows.map { $0.map { $0.isNull ? "-" : $0.text } }
      for line in Table.align(cells) { out.append(line + "\n") }
      out.append("(\(rows.count) row\(rows.count == 1 ? "" : "s"))\n")
    case .csv:
      out.append(header.map(csv).joined(separator: ",") + "\n")
      lines { row, out in out.append(row.map { csv($0.text) }.joined(separator: ",") + "\n") }
    case .json:
      out.append("[")
      for (i, row) in rows.enumerated() {
        if i > 0 { out.append(",\n ") }
        object(keys, row, into: &out)
      }
      out.append("]\n")
    case .jsonl:
      lines { row, out in
        object(keys, row, into: &out)
        out.append(byte: 0x0A)
      }
    }
    out.flush()
  }

  static let blockRows = 8192

  /// Formats blocks of `blockRows` rows on `threads` threads at a time and writes them in order:
  /// a hunt's answer can be hundreds of thousands of rows, and one thread formatting them all
  /// was a third of its time. Memory stays at `threads` blocks.
  static func inParallel(
    _ rows: [[Value]], threads: Int, into out: inout Output, _ format: @Sendable ([Value], inout Output) -> Void
  ) {
    var start = 0
    while start < rows.count {
      let blocks = Array(stride(from: start, to: min(rows.count, start + blockRows * threads), by: blockRows))
      let formatted = Mutex<[Int: [UInt8]]>([:])
      DispatchQueue.concurrentPerform(iterations: blocks.count) { k in
        var local = Output(streaming: false)
        for r in blocks[k]..<min(rows.count, blocks[k] + blockRows) { format(rows[r], &local) }
        let bytes = local.bytes
        formatted.withLock { $0[k] = bytes }
      }
      let done = formatted.withLock { $0 }
      for k in blocks.indices {
        out.bytes += done[k]!
        out.flushIfLarge()
      }
      start = blocks.last! + blockRows
    }
  }

  static func csv(_ s: String) -> String {
    s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
      ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
  }

  /// Each column's `"name":`, escaped once rather than once per row, in one buffer: a row's
  /// keys are copied from it without retaining an array per field (shared arrays' reference
  /// counts were contended between the formatting threads).
  struct JSONKeys: Sendable {
    var bytes: [UInt8] = []
    var ranges: [Range<Int>] = []

    init(_ header: [String]) {
      for name in header {
        var out = Output(streaming: false, capacity: name.utf8.count + 3)
        string(name, into: &out)
        out.append(byte: UInt8(ascii: ":"))
        ranges.append(bytes.count..<bytes.count + out.bytes.count)
        bytes += out.bytes
      }
    }
  }

  static func object(_ keys: JSONKeys, _ row: [Value], into out: inout Output) {
    out.append(byte: UInt8(ascii: "{"))
    keys.bytes.withUnsafeBufferPointer { names in
      for i in 0..<min(keys.ranges.count, row.count) {
        if i > 0 { out.append(byte: UInt8(ascii: ",")) }
        out.bytes.append(contentsOf: UnsafeBufferPointer(rebasing: names[keys.ranges[i]]))
        value(row[i], into: &out)
      }
    }
    out.append(byte: UInt8(ascii: "}"))
  }

  /// One value as JSON. Strings are read in place (no copy, so no reference count touched:
  /// dictionary strings are shared by many rows, and by the threads formatting them).
  static func value(_ value: borrowing Value, into out: inout Output) {
    switch value {
    case .null: out.append("null")
    case .bool(let b): out.append(b ? "true" : "false")
    case .int(let v): integer(v, into: &out)
    case .double(let d): out.append(d.isFinite ? String(d) : "null")
    case .string(let s): string(s, into: &out)
    case .timestamp(let micros):
      out.append(byte: UInt8(ascii: "\""))
      Value.appendISO8601(micros, to: &out.bytes)
      out.append(byte: UInt8(ascii: "\""))
    default:
      let other = copy value
      string(other.text, into: &out)
    }
  }

  /// Decimal digits without making a `String`.
  static func integer(_ v: Int64, into out: inout Output) {
    var magnitude = v.magnitude
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
      var n = 0
      repeat {
        digits[19 - n] = UInt8(ascii: "0") + UInt8(magnitude % 10)
        magnitude /= 10
        n += 1
      } while magnitude > 0
      if v < 0 { out.append(byte: UInt8(ascii: "-")) }
      out.bytes.append(contentsOf: UnsafeBufferPointer(rebasing: digits[(20 - n)...]))
    }
  }

  /// A JSON string: runs of bytes that need no escaping are copied at once.
  static func string(_ s: borrowing String, into out: inout Output) {
    out.append(byte: UInt8(ascii: "\""))
    let done: Void? = s.utf8.withContiguousStorageIfAvailable { escaped($0, into: &out) }
    if done == nil {
      var text = copy s
      text.withUTF8 { escaped($0, into: &out) }
    }
    out.append(byte: UInt8(ascii: "\""))
  }

  /// UTF-8 bytes with JSON's escapes.
  static func escaped(_ utf8: UnsafeBufferPointer<UInt8>, into out: inout Output) {
    // Most text needs no escape at all.
    let clean = JSONText.firstSpecial(in: UnsafeRawBufferPointer(utf8), from: 0)
    if clean == utf8.count {
      out.bytes.append(contentsOf: utf8)
      return
    }
    var runStart = 0
    for (i, b) in utf8.enumerated().dropFirst(clean)
    where b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") {
      out.bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<i]))
      runStart = i + 1
      switch b {
      case UInt8(ascii: "\""): out.bytes += [0x5C, 0x22]
      case UInt8(ascii: "\\"): out.bytes += [0x5C, 0x5C]
      case 0x0A: out.bytes += [0x5C, UInt8(ascii: "n")]
      case 0x0D: out.bytes += [0x5C, UInt8(ascii: "r")]
      case 0x09: out.bytes += [0x5C, UInt8(ascii: "t")]
      default:
        let hex = Array("0123456789abcdef".utf8)
        out.bytes += [0x5C, UInt8(ascii: "u"), 0x30, 0x30, hex[Int(b >> 4)], hex[Int(b & 15)]]
      }
    }
    out.bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart...]))
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
    Streams.error((text + "\n"))
  }
}
