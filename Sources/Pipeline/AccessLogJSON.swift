import CloudTrail
import LogBytes

/// S3 server access logs as AWS delivers them to CloudWatch Logs: one JSON object per request
/// (`schema_version_id` `V_1_0`, an ISO `request_time`, named fields, `null` for `-`), reaching S3
/// as JSON Lines, as CloudWatch Logs exports (`TIMESTAMP {json}` per line) or as CloudWatch
/// subscription envelopes (`{"logEvents":[{"message":"{json}"}]}`) delivered by Firehose. Each
/// record is written back as the space-delimited line S3 would have delivered, and that line is
/// what the tokenizer reads: one parser, the same rows for the same request in either form.
enum AccessLogJSON {
  /// Whether `content` holds such records: its first object names `schema_version_id` and
  /// `bucket_name` near its start.
  static func matches(_ content: UnsafeRawBufferPointer) -> Bool {
    let head = UnsafeRawBufferPointer(rebasing: content[0..<min(content.count, 8192)])
    return contains(head, "schema_version_id") && contains(head, "bucket_name")
  }

  static func contains(_ bytes: UnsafeRawBufferPointer, _ text: StaticString) -> Bool {
    let needle = UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount)
    guard needle.count <= bytes.count, let first = needle.first else { return false }
    var i = 0
    while i + needle.count <= bytes.count {
      if bytes[i] == first && bytes[i..<(i + needle.count)].elementsEqual(needle) { return true }
      i += 1
    }
    return false
  }

  /// Calls `body(line, offset)` for each record: the text line, and where the record starts.
  /// Returns lines that are not records (offset, reason).
  static func forEachRecord(
    _ content: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer, Int64) -> Void
  ) -> [(Int64, String)] {
    var rejected: [(Int64, String)] = []
    var line: [UInt8] = []
    var start = 0
    let n = content.count
    while start < n {
      var end = start
      while end < n && content[end] != 0x0A { end += 1 }
      var objectStart = start
      while objectStart < end && content[objectStart] != UInt8(ascii: "{") { objectStart += 1 }
      if objectStart < end {
        let object = UnsafeRawBufferPointer(rebasing: content[objectStart..<end])
        let s = JSONScanner(object)
        if let (root, _) = try? s.value(at: 0), root.isObject {
          let events = s.member("logEvents", of: root)
          if events.kind == .array {
            // A subscription envelope: each event's message is a record, as a JSON string.
            try? s.forEachElement(of: events) { event throws(JSONError) in
              var message: [UInt8] = []
              JSONStrings.appendDecoded(s.member("message", of: event), in: object, to: &message)
              message.withUnsafeBytes { m in
                let inner = JSONScanner(m)
                if let (record, _) = try? inner.value(at: inner.skipWhitespace(0)), record.isObject,
                  textLine(record, inner, into: &line)
                {
                  line.withUnsafeBytes { body($0, Int64(objectStart)) }
                } else {
                  rejected.append((Int64(objectStart), "a logEvents message is not an access-log record"))
                }
              }
            }
          } else if textLine(root, s, into: &line) {
            line.withUnsafeBytes { body($0, Int64(objectStart)) }
          } else {
            rejected.append((Int64(objectStart), "JSON object without request_time and bucket_name"))
          }
        } else {
          rejected.append((Int64(objectStart), "malformed JSON"))
        }
      } else if end > start
        && !UnsafeRawBufferPointer(rebasing: content[start..<end]).allSatisfy({ $0 == 0x20 || $0 == 0x0D || $0 == 0x09 }
        )
      {
        rejected.append((Int64(start), "line without a JSON record"))
      }
      start = end + 1
    }
    return rejected
  }

  /// The fields in the order of the text format; each with the names a record may give it (the
  /// first as AWS's CloudWatch Logs format page names it).
  static let fields: [[StaticString]] = [
    ["bucket_owner_id"], ["bucket_name"], ["request_time"], ["remote_ip"], ["requester"], ["request_id"],
    ["operation"], ["key_name"], ["request_uri"], ["http_status"], ["error_code"], ["bytes_sent"], ["object_size"],
    ["total_time"], ["turn_around_time", "turnaround_time"], ["referrer", "referer"], ["user_agent"],
    ["version_id"], ["host_id"], ["signature_version", "sig_version"], ["cipher_suite"],
    ["authentication_type", "auth_type"], ["host_header"], ["tls_version"], ["access_point_arn"],
    ["acl_required"], ["source_region"],
  ]
  /// Fields the text format quotes.
  static let quoted: Set<Int> = [8, 15, 16]

  /// Writes `record` as a text access-log line into `line`; false without a time or bucket.
  static func textLine(_ record: JSONValue, _ s: JSONScanner, into line: inout [UInt8]) -> Bool {
    let b = s.buffer
    var values = [JSONValue](repeating: .missing, count: fields.count)
    try? s.forEachMember(of: record) { key, value throws(JSONError) in
      for (i, names) in fields.enumerated() where values[i].isMissing {
        if names.contains(where: { JSONStrings.equals(key, $0, in: b) }) { values[i] = value }
      }
    }
    var time: [UInt8] = []
    JSONStrings.appendDecoded(values[2], in: b, to: &time)
    guard values[1].isString, let micros = time.withUnsafeBytes({ TimeParser.parseISO8601($0) }) else { return false }
    // Fields past Version Id only up to the last one the record holds: a record of an older
    // delivery has fewer, as its line would (and `acl_required` false is the line's `-`).
    let present = values.indices.filter { values[$0].isString || values[$0].kind == .number || values[$0].isBool }
    let count = max(18, (present.last ?? 0) + 1)
    line.removeAll(keepingCapacity: true)
    for (i, value) in values.enumerated() where i < count {
      if i > 0 { line.append(0x20) }
      if i == 2 {
        line += Array(accessLogTime(micros).utf8)
        continue
      }
      if i == 25 {
        // acl_required: true is the text format's "Yes".
        let yes = value.kind == .boolTrue || (value.isString && JSONStrings.equals(value, "Yes", in: b))
        line += Array((yes ? "Yes" : "-").utf8)
        continue
      }
      let given = value.isString || value.kind == .number
      if quoted.contains(i) && (given || i != 8) { line.append(UInt8(ascii: "\"")) }
      if value.isString {
        JSONStrings.appendDecoded(value, in: b, to: &line)
      } else if value.kind == .number {
        line += Array(UnsafeRawBufferPointer(rebasing: b[Int(value.start)..<Int(value.end)]))
      } else {
        line.append(UInt8(ascii: "-"))
      }
      if quoted.contains(i) && (given || i != 8) { line.append(UInt8(ascii: "\"")) }
    }
    return true
  }

  /// `[dd/Mon/yyyy:HH:MM:SS +0000]`, the text format's time (to the second, as S3 writes it).
  static func accessLogTime(_ micros: Int64) -> String {
    let seconds = micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000
    let days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400
    let rest = seconds - days * 86400
    let (y, m, d) = TimeParser.civilFromDays(days)
    let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    func two(_ v: some BinaryInteger) -> String { v < 10 ? "0\(v)" : "\(v)" }
    return "[\(two(d))/\(months[m - 1])/\(y):\(two(rest / 3600)):\(two(rest / 60 % 60)):\(two(rest % 60)) +0000]"
  }
}

extension JSONValue {
  var isBool: Bool { kind == .boolTrue || kind == .boolFalse }
}
