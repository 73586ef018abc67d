import AccessLog

/// A tokenized line with its fields as Swift strings, for readable assertions in tests.
struct Parsed {
  var record = AccessLogRecord()
  var rejection: AccessLogRejection?
  private var bytes: [UInt8]

  init(_ line: String) {
    self.init(bytes: Array(line.utf8))
  }

  init(bytes: [UInt8]) {
    self.bytes = bytes
    var r = AccessLogRecord()
    rejection = bytes.withUnsafeBytes { AccessLogTokenizer.parse($0, into: &r) }
    record = r
  }

  func text(_ path: KeyPath<AccessLogRecord, Span>) -> String? {
    let span = record[keyPath: path]
    if span.isNull { return nil }
    return bytes.withUnsafeBytes { String(decoding: span.bytes(in: $0), as: UTF8.self) }
  }
}

/// Microseconds since the epoch of a UTC civil time, computed independently of the tokenizer.
func utcMicros(_ y: Int, _ mo: Int, _ d: Int, _ h: Int, _ mi: Int, _ s: Int) -> Int64 {
  var days = 0
  for year in 1970..<y { days += (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 366 : 365 }
  let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
  let lengths = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
  for m in 0..<(mo - 1) { days += lengths[m] }
  days += d - 1
  return (Int64(days) * 86_400 + Int64(h * 3600 + mi * 60 + s)) * 1_000_000
}
