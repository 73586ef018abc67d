import LogBytes

/// Byte-level tokenizer for S3 server access log lines.
///
/// S3 does not escape anything: quotes, spaces and arbitrary bytes can appear raw inside the
/// Request-URI, Referer and User-Agent, the Requester can contain spaces (CloudFront OAI) and the
/// Host Id can be two tokens. Instead of trusting quotes, each ambiguous boundary is *anchored* on
/// what must follow it:
/// - the Requester ends where a Request ID is followed by an Operation;
/// - the Request-URI ends at the first `"` followed by a valid status, error code, four numeric
///   fields and the start of the Referer;
/// - the Referer ends at the first `"` followed by ` "` or ` -` (the User-Agent);
/// - the User-Agent ends at the last `"` of the line, since no later field is ever quoted.
public enum AccessLogTokenizer {
  static let space = UInt8(ascii: " ")
  static let quote = UInt8(ascii: "\"")
  static let dash = UInt8(ascii: "-")

  /// Tokenizes `line` (no trailing newline) into `record`; returns why it was rejected, or nil.
  public static func parse(_ line: UnsafeRawBufferPointer, into record: inout AccessLogRecord)
    -> AccessLogRejection?
  {
    var end = line.count
    // Tolerate CRLF files and trailing blanks (one AWS doc example ends in a space).
    while end > 0 && (line[end - 1] == 13 || line[end - 1] == space) { end -= 1 }
    if end == 0 { return .emptyLine }
    var c = Cursor(line: line, end: end)
    record = AccessLogRecord()

    guard let owner = c.token(), let bucket = c.token() else { return .tooFewFields }
    record.bucketOwner = nullable(owner, line)
    record.bucket = nullable(bucket, line)

    guard let time = c.bracketed() else { return .badTime }
    guard let micros = TimeParser.parseAccessLogTime(UnsafeRawBufferPointer(rebasing: line[Int(time.start)..<time.end]))
    else { return .badTime }
    record.requestTimeMicros = micros

    guard let ip = c.token() else { return .tooFewFields }
    record.remoteIP = nullable(ip, line)

    guard let (requester, requestID, operation) = requesterRequestIDOperation(&c) else {
      return .noRequestIDAfterRequester
    }
    record.requester = nullable(requester, line)
    record.requestID = nullable(requestID, line)
    record.operation = nullable(operation, line)

    guard let key = c.token() else { return .tooFewFields }
    record.key = nullable(key, line)

    // Request-URI
    guard c.pos < end else { return .tooFewFields }
    if line[c.pos] == quote {
      // Finding where the URI ends reads the status, error and counts after it.
      let open = c.pos
      switch requestURIClose(line, open: open, end: end, record: &record, cursor: &c) {
      case .success(let close): record.requestURI = quotedNullable(Span(start: open + 1, end: close), line)
      case .failure(let reason): return reason
      }
    } else {
      guard let t = c.token(), t.length == 1, line[Int(t.start)] == dash else { return .badRequestURI }
      record.requestURI = .null
      if let reason = statusErrorAndCounts(&c, into: &record) { return reason }
    }

    // Referer
    guard c.pos < end else { return .tooFewFields }
    if line[c.pos] == quote {
      guard let close = refererClose(line, open: c.pos, end: end) else { return .badReferer }
      record.referer = quotedNullable(Span(start: c.pos + 1, end: close), line)
      c.pos = close + 2
    } else {
      guard let t = c.token(), isDash(t, line) else { return .badReferer }
      record.referer = .null
    }

    // User-Agent
    guard c.pos < end else { return .tooFewFields }
    if line[c.pos] == quote {
      guard let close = ByteSearch.last(quote, in: line, from: c.pos + 1, end: end) else { return .badUserAgent }
      record.userAgent = quotedNullable(Span(start: c.pos + 1, end: close), line)
      c.pos = close + 2
    } else {
      guard let t = c.token(), isDash(t, line) else { return .badUserAgent }
      record.userAgent = .null
    }
    record.fieldCount = 17
    parseTail(&c, into: &record)
    return nil
  }

  /// Fields 18 and later: plain tokens, with the two-token Host Id seen in 2019 lines.
  static func parseTail(_ c: inout Cursor, into r: inout AccessLogRecord) {
    let line = c.line
    guard let versionID = c.token() else { return }
    r.versionID = nullable(versionID, line)
    r.fieldCount = 18
    guard var hostID = c.token() else { return }
    r.fieldCount = 19
    // A Host Id of two tokens: the token after it is not a signature version, the next one is.
    let save = c.pos
    if let second = c.token(), !isSignatureVersion(second, line) {
      let afterSecond = c.pos
      if let third = c.token(), isSignatureVersion(third, line) {
        hostID = Span(start: Int(hostID.start), end: second.end)
        c.pos = afterSecond
      } else {
        c.pos = save
      }
    } else {
      c.pos = save
    }
    r.hostID = nullable(hostID, line)
    for k in 0..<6 {
      guard let t = c.token() else { return }
      let value = nullable(t, line)
      switch k {
      case 0: r.signatureVersion = value
      case 1: r.cipherSuite = value
      case 2: r.authenticationType = value
      case 3: r.hostHeader = value
      case 4: r.tlsVersion = value
      default: r.accessPointARN = value
      }
      r.fieldCount += 1
    }
    guard let acl = c.token() else { return }
    r.fieldCount += 1
    r.aclRequired = !isDash(acl, line)
    guard let region = c.token() else { return }
    r.fieldCount += 1
    r.sourceRegion = nullable(region, line)
    // Unknown trailing fields, kept verbatim.
    let restStart = c.pos
    var count = 0
    while c.token() != nil { count += 1 }
    if count > 0 {
      r.extraFields = Span(start: restStart, end: c.end)
      r.fieldCount += count
    }
  }

  // MARK: requester / request id / operation

  static func requesterRequestIDOperation(_ c: inout Cursor) -> (Span, Span, Span)? {
    let line = c.line
    let save = c.pos
    guard let first = c.token() else { return nil }
    var requesterEnd = first.end
    // Up to six extra words for a spaced requester ("CloudFront Origin Access Identity E2...").
    for _ in 0..<7 {
      let afterRequester = c.pos
      guard let id = c.token() else { break }
      let afterID = c.pos
      if isRequestID(id, line), let op = c.token(), isOperation(op, line) {
        return (Span(start: Int(first.start), end: requesterEnd), id, op)
      }
      c.pos = afterID
      guard isWord(id, line) else { break }
      requesterEnd = id.end
      c.pos = afterRequester
      _ = c.token()
    }
    c.pos = save
    return nil
  }

  static func isRequestID(_ s: Span, _ line: UnsafeRawBufferPointer) -> Bool {
    guard s.length >= 8 && s.length <= 64 else { return false }
    for i in Int(s.start)..<s.end {
      let b = line[i]
      let ok =
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == dash
      if !ok { return false }
    }
    return true
  }

  /// `REST.GET.OBJECT`, `SOAP.PUT.OBJECT`, `S3.COMPUTE.OBJECT.CHECKSUM`: upper-case words joined
  /// by dots. Lower-case is refused so a bucket name (`media.example.org`) is never taken for one.
  static func isOperation(_ s: Span, _ line: UnsafeRawBufferPointer) -> Bool {
    guard s.length >= 3 else { return false }
    let first = line[Int(s.start)]
    guard first >= 0x41 && first <= 0x5A else { return false }
    var dots = 0
    for i in Int(s.start)..<s.end {
      let b = line[i]
      if b == UInt8(ascii: ".") {
        dots += 1
        continue
      }
      let ok = (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || b == UInt8(ascii: "_")
      if !ok { return false }
    }
    return dots >= 1
  }

  /// Letters and digits only: what the extra words of a spaced Requester look like.
  static func isWord(_ s: Span, _ line: UnsafeRawBufferPointer) -> Bool {
    for i in Int(s.start)..<s.end {
      let b = line[i]
      let ok = (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
      if !ok { return false }
    }
    return s.length > 0
  }

  static func isSignatureVersion(_ s: Span, _ line: UnsafeRawBufferPointer) -> Bool {
    if isDash(s, line) { return true }
    guard s.length == 5 else { return false }
    let p = Int(s.start)
    return line[p] == UInt8(ascii: "S") && line[p + 1] == UInt8(ascii: "i")
      && line[p + 2] == UInt8(ascii: "g") && line[p + 3] == UInt8(ascii: "V")
  }

  // MARK: quoted fields

  /// The closing quote of the Request-URI: the first `"` after which the line continues with
  /// ` <status> <error> <n> <n> <n> <n> ` and then a Referer (`"` or `-`). When no quote fits,
  /// the reason names the first field that broke the best candidate.
  /// On success, `record` holds the fields from the HTTP status to Turn-Around Time and `cursor`
  /// is at the Referer.
  static func requestURIClose(
    _ line: UnsafeRawBufferPointer, open: Int, end: Int, record: inout AccessLogRecord, cursor: inout Cursor
  ) -> Result<Int, AccessLogRejection> {
    var diagnosis: AccessLogRejection?
    var q = ByteSearch.firstInLongRun(quote, in: line, from: open + 1, end: end)
    while q < end {
      if q + 1 < end && line[q + 1] == space {
        cursor.pos = q + 2
        guard let problem = followsURI(&cursor, into: &record) else { return .success(q) }
        // The quote after ` HTTP/x.y` is where the URI was meant to end: what broke after it
        // is the most useful reason to give.
        if diagnosis == nil && endsWithProtocol(line, before: q) {
          diagnosis = problem == .badRequestURI ? .badHTTPStatus : problem
        }
      }
      q = ByteSearch.firstInLongRun(quote, in: line, from: q + 1, end: end)
    }
    return .failure(diagnosis ?? .badRequestURI)
  }

  /// True when the bytes before `q` are ` HTTP/d.d`.
  static func endsWithProtocol(_ line: UnsafeRawBufferPointer, before q: Int) -> Bool {
    guard q >= 9 else { return false }
    return line[q - 9] == space && line[q - 8] == UInt8(ascii: "H") && line[q - 7] == UInt8(ascii: "T")
      && line[q - 6] == UInt8(ascii: "T") && line[q - 5] == UInt8(ascii: "P")
      && line[q - 4] == UInt8(ascii: "/")
  }

  /// nil when the fields after a Request-URI candidate (at `c.pos`) are well formed, read into
  /// `r`; otherwise what is wrong. A status that is not one is `.badRequestURI`: the quote was
  /// inside the URI.
  static func followsURI(_ c: inout Cursor, into r: inout AccessLogRecord) -> AccessLogRejection? {
    let line = c.line
    var first = c.pos
    while first < c.end && line[first] == space { first += 1 }
    guard first < c.end else { return .badRequestURI }
    switch statusErrorAndCounts(&c, into: &r) {
    case nil: break
    case .badHTTPStatus?: return .badRequestURI
    case let problem?: return problem
    }
    guard c.pos < c.end else { return .tooFewFields }
    return line[c.pos] == quote || line[c.pos] == dash ? nil : .badReferer
  }

  /// HTTP status, Error Code, Bytes Sent, Object Size, Total Time and Turn-Around Time, every one
  /// assigned (a dash as nil), so a candidate read after a failed one leaves nothing of it.
  static func statusErrorAndCounts(_ c: inout Cursor, into r: inout AccessLogRecord) -> AccessLogRejection? {
    let line = c.line
    r.httpStatus = nil
    r.errorCode = .null
    guard let status = c.token() else { return .tooFewFields }
    if !isDash(status, line) {
      guard status.length == 3, let v = parseDecimal(status, line) else { return .badHTTPStatus }
      r.httpStatus = Int32(v)
    }
    guard let error = c.token() else { return .tooFewFields }
    r.errorCode = nullable(error, line)
    for k in 0..<4 {
      guard let t = c.token() else { return .tooFewFields }
      var v: Int64?
      if !isDash(t, line) {
        guard let n = parseDecimal(t, line) else { return .badNumber }
        v = n
      }
      switch k {
      case 0: r.bytesSent = v
      case 1: r.objectSize = v
      case 2: r.totalTimeMs = v
      default: r.turnAroundTimeMs = v
      }
    }
    return nil
  }

  /// The closing quote of the Referer: the first `"` followed by ` "` or by ` -` as a whole token.
  static func refererClose(_ line: UnsafeRawBufferPointer, open: Int, end: Int) -> Int? {
    var q = ByteSearch.firstInLongRun(quote, in: line, from: open + 1, end: end)
    while q < end {
      if q + 2 < end && line[q + 1] == space {
        let n = line[q + 2]
        if n == quote { return q }
        if n == dash && (q + 3 == end || line[q + 3] == space) { return q }
      }
      q = ByteSearch.firstInLongRun(quote, in: line, from: q + 1, end: end)
    }
    return nil
  }

  // MARK: helpers

  @inline(__always)
  static func isDash(_ s: Span, _ line: UnsafeRawBufferPointer) -> Bool {
    s.length == 1 && line[Int(s.start)] == dash
  }

  /// `-` and `"-"` are null; anything else is the value.
  @inline(__always)
  static func nullable(_ s: Span, _ line: UnsafeRawBufferPointer) -> Span {
    if isDash(s, line) { return .null }
    if s.length == 3 && line[Int(s.start)] == quote && line[Int(s.start) + 1] == dash
      && line[Int(s.start) + 2] == quote
    {
      return .null
    }
    return s
  }

  /// A quoted field's content: `-` inside the quotes is null.
  @inline(__always)
  static func quotedNullable(_ s: Span, _ line: UnsafeRawBufferPointer) -> Span {
    isDash(s, line) ? .null : s
  }

  /// Non-negative decimal of at most 18 digits (every byte count S3 can log fits).
  static func parseDecimal(_ s: Span, _ line: UnsafeRawBufferPointer) -> Int64? {
    guard s.length > 0 && s.length <= 18 else { return nil }
    var v: Int64 = 0
    // Eighteen digits cannot overflow: wrapping arithmetic skips the checks.
    for i in Int(s.start)..<s.end {
      let d = line[i] &- 0x30
      guard d < 10 else { return nil }
      v = v &* 10 &+ Int64(d)
    }
    return v
  }
}

/// Walks space-separated tokens of one line.
struct Cursor {
  let line: UnsafeRawBufferPointer
  let end: Int
  var pos = 0

  init(line: UnsafeRawBufferPointer, end: Int) {
    self.line = line
    self.end = end
  }

  /// The next space-delimited token (runs of spaces count as one separator).
  @inline(__always)
  mutating func token() -> Span? {
    while pos < end && line[pos] == AccessLogTokenizer.space { pos += 1 }
    guard pos < end else { return nil }
    let start = pos
    pos = ByteSearch.first(AccessLogTokenizer.space, in: line, from: pos + 1, end: end)
    let s = Span(start: start, end: pos)
    if pos < end { pos += 1 }
    return s
  }

  /// `[ ... ]` (the Time field, which contains one space); returns the inside.
  mutating func bracketed() -> Span? {
    while pos < end && line[pos] == AccessLogTokenizer.space { pos += 1 }
    guard pos < end, line[pos] == UInt8(ascii: "[") else { return nil }
    let start = pos + 1
    let p = ByteSearch.first(UInt8(ascii: "]"), in: line, from: start, end: end)
    guard p < end else { return nil }
    pos = p + 1
    if pos < end {
      guard line[pos] == AccessLogTokenizer.space else { return nil }
      pos += 1
    }
    return Span(start: start, end: p)
  }
}
