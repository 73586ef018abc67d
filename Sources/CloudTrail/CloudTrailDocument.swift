/// Finds the records in the content of one CloudTrail file, whatever its shape:
/// `{"Records":[...]}` archives (often one line of several MB, streamed element by element),
/// bare arrays of records, JSON Lines exports, and EventBridge envelopes (the record is `detail`).
/// Digest files are recognised and reported as such.
public struct CloudTrailDocument {
  public enum Outcome: Equatable, Sendable {
    case records
    /// Not a log file: a digest, or JSON that holds no CloudTrail record at all.
    case notALog(String)
  }

  /// Walks of the records it hands out should use this scanner: its tape holds their values.
  public let scanner: JSONScanner
  var buffer: UnsafeRawBufferPointer { scanner.buffer }

  public init(_ buffer: UnsafeRawBufferPointer) {
    scanner = JSONScanner(buffer)
  }

  /// Calls `onRecord` with each record object and `onReject(offset, reason)` for each value that
  /// is not one. After malformed JSON it resumes at the next line that starts with `{` (JSON
  /// Lines); when there is none, the rest of the file is reported as one rejection.
  public func scan(
    onRecord: (JSONValue) -> Void, onReject: (Int, RecordRejection) -> Void
  ) -> Outcome {
    scan(onRecord: { record, _ in onRecord(record) }, onReject: onReject)
  }

  /// `scan`, with each record's EventBridge envelope (`.missing` when it came in none), whose
  /// `time`, `region` and `account` stand in for what its `detail` lacks.
  public func scan(
    onRecord: (_ record: JSONValue, _ envelope: JSONValue) -> Void, onReject: (Int, RecordRejection) -> Void
  ) -> Outcome {
    var p = scanner.skipWhitespace(0)
    var sawRecordOrError = false
    var digest = false
    while p < buffer.count {
      do throws(JSONError) {
        switch buffer[p] {
        case UInt8(ascii: "{"):
          let (end, kind) = try located(at: p) { () throws(JSONError) in
            try walkTopObject(at: p, onRecord: onRecord, onReject: onReject)
          }
          switch kind {
          case .digest: digest = true
          case .records: sawRecordOrError = true
          }
          p = end
        case UInt8(ascii: "["):
          let (array, end) = try scanner.value(at: p)
          try scanner.forEachElement(of: array) { element throws(JSONError) in
            candidate(element, onRecord: onRecord, onReject: onReject)
          }
          sawRecordOrError = true
          p = end
        default:
          throw JSONError(offset: p, reason: "expected a JSON object or array")
        }
      } catch {
        sawRecordOrError = true
        guard let next = resumePoint(after: error.offset) else {
          onReject(
            error.offset,
            RecordRejection(
              code: "malformed_json",
              explanation:
                "malformed JSON (\(error.reason)); the remaining \(buffer.count - error.offset) bytes could not be read"
            ))
          return .records
        }
        onReject(error.offset, RecordRejection(code: "malformed_json", explanation: "malformed JSON (\(error.reason))"))
        p = next
        continue
      }
      p = scanner.skipWhitespace(p)
    }
    if digest && !sawRecordOrError { return .notALog("CloudTrail digest file (log validation), not events") }
    return .records
  }

  enum TopKind { case records, digest }

  /// Walks a top-level object member by member, streaming a `Records` array. Any other object
  /// is validated member by member onto the scanner's tape, so a record (a JSON Lines one, or
  /// an EventBridge `detail`) is then walked by the tape like an element of `Records`.
  private func walkTopObject(
    at p: Int, onRecord: (JSONValue, JSONValue) -> Void, onReject: (Int, RecordRejection) -> Void
  ) throws(JSONError) -> (Int, TopKind) {
    let b = buffer
    var i = scanner.skipWhitespace(p + 1)
    var recordKeys = false
    var detailType = false
    var detail = JSONValue.missing
    var digestKeys = false
    var streamedRecords = false
    if i < b.count && b[i] == UInt8(ascii: "}") {
      onReject(p, .notARecord("empty JSON object"))
      return (i + 1, .records)
    }
    let slot = scanner.beginMembers()
    while true {
      let (key, afterKey) = try scanner.memberValue(at: i)
      guard key.isString else { throw JSONError(offset: i, reason: "expected a member name") }
      i = scanner.skipWhitespace(afterKey)
      guard i < b.count, b[i] == UInt8(ascii: ":") else { throw JSONError(offset: i, reason: "expected ':'") }
      i = scanner.skipWhitespace(i + 1)
      if JSONStrings.equals(key, "Records", in: b) && i < b.count && b[i] == UInt8(ascii: "[") {
        streamedRecords = true
        i = try streamArray(at: i, onRecord: onRecord, onReject: onReject)
      } else {
        let (v, after) = try scanner.memberValue(at: i)
        if JSONStrings.equals(key, "eventName", in: b) || JSONStrings.equals(key, "eventVersion", in: b)
          || JSONStrings.equals(key, "eventSource", in: b) || JSONStrings.equals(key, "eventTime", in: b)
        {
          recordKeys = true
        } else if JSONStrings.equals(key, "detail", in: b) {
          detail = v
        } else if JSONStrings.equals(key, "detail-type", in: b) {
          detailType = true
        } else if JSONStrings.equals(key, "digestStartTime", in: b) || JSONStrings.equals(key, "logFiles", in: b) {
          digestKeys = true
        }
        i = after
      }
      i = scanner.skipWhitespace(i)
      guard i < b.count else { throw JSONError(offset: i, reason: "unterminated object") }
      if b[i] == UInt8(ascii: ",") {
        i = scanner.skipWhitespace(i + 1)
        continue
      }
      guard b[i] == UInt8(ascii: "}") else { throw JSONError(offset: i, reason: "expected ',' or '}'") }
      i += 1
      break
    }
    if streamedRecords { return (i, .records) }
    let object = scanner.endMembers(slot, JSONValue(kind: .object, start: p, end: i))
    if detailType && detail.isObject {
      onRecord(detail, object)
    } else if recordKeys {
      onRecord(object, .missing)
    } else if digestKeys {
      return (i, .digest)
    } else {
      onReject(
        p, .notARecord("JSON object that is neither a CloudTrail record, a Records file nor an EventBridge event"))
    }
    return (i, .records)
  }

  /// Streams the elements of the `Records` array starting at `p` (`[`); returns the offset after `]`.
  private func streamArray(
    at p: Int, onRecord: (JSONValue, JSONValue) -> Void, onReject: (Int, RecordRejection) -> Void
  ) throws(JSONError) -> Int {
    let b = buffer
    var i = scanner.skipWhitespace(p + 1)
    if i < b.count && b[i] == UInt8(ascii: "]") { return i + 1 }
    while true {
      let start = i
      let (v, after) = try located(at: start) { () throws(JSONError) in try scanner.value(at: start) }
      if v.isObject {
        onRecord(v, .missing)
      } else {
        onReject(i, .notARecord("element of Records is not a JSON object"))
      }
      i = scanner.skipWhitespace(after)
      guard i < b.count else { throw JSONError(offset: i, reason: "unterminated Records array") }
      if b[i] == UInt8(ascii: ",") {
        i = scanner.skipWhitespace(i + 1)
        continue
      }
      guard b[i] == UInt8(ascii: "]") else { throw JSONError(offset: i, reason: "expected ',' or ']' in Records") }
      return i + 1
    }
  }

  /// Runs `body`; an error inside it is reported at `start` (where the broken record begins),
  /// with the exact place in the reason. Errors already located keep their place.
  private func located<T>(at start: Int, _ body: () throws(JSONError) -> T) throws(JSONError) -> T {
    do {
      return try body()
    } catch {
      if error.located { throw error }
      throw JSONError(offset: start, reason: "\(error.reason) at offset \(error.offset)", located: true)
    }
  }

  /// An element of a bare array: a record, or an EventBridge envelope around one.
  private func candidate(
    _ v: JSONValue, onRecord: (JSONValue, JSONValue) -> Void, onReject: (Int, RecordRejection) -> Void
  ) {
    guard v.isObject else {
      onReject(Int(v.start), .notARecord("array element is not a JSON object"))
      return
    }
    let detail = scanner.member("detail", of: v)
    if detail.isObject && !scanner.member("detail-type", of: v).isMissing {
      onRecord(detail, v)
    } else {
      onRecord(v, .missing)
    }
  }

  /// The start of the next line beginning with `{` after `offset`, for JSON Lines input.
  private func resumePoint(after offset: Int) -> Int? {
    var i = max(offset, 0)
    while i + 1 < buffer.count {
      if buffer[i] == 0x0A && buffer[i + 1] == UInt8(ascii: "{") { return i + 1 }
      i += 1
    }
    return nil
  }
}

/// Why a value in a CloudTrail file did not become a row; `code` is stable, for counts and tables.
public struct RecordRejection: Sendable, Equatable {
  public var code: String
  public var explanation: String

  public static func notARecord(_ explanation: String) -> RecordRejection {
    RecordRejection(code: "not_a_record", explanation: explanation)
  }
}
