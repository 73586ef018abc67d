import LogBytes

/// One cell of a query result.
public enum Value: Sendable, Hashable, Comparable {
  case null
  case bool(Bool)
  case int(Int64)
  case double(Double)
  case string(String)
  /// Microseconds since the epoch, UTC.
  case timestamp(Int64)
  /// Days since 1970-01-01.
  case date(Int64)

  public var isNull: Bool { self == .null }

  /// Order for sorting and min/max: nulls first, then by kind, then by value.
  public static func < (a: Value, b: Value) -> Bool {
    switch (a, b) {
    case (.int(let x), .int(let y)), (.timestamp(let x), .timestamp(let y)), (.date(let x), .date(let y)): return x < y
    case (.double(let x), .double(let y)): return x < y
    case (.int(let x), .double(let y)): return Double(x) < y
    case (.double(let x), .int(let y)): return x < Double(y)
    case (.string(let x), .string(let y)): return x.utf8.lexicographicallyPrecedes(y.utf8)
    case (.bool(let x), .bool(let y)): return !x && y
    default: return a.rank < b.rank
    }
  }

  private var rank: Int {
    switch self {
    case .null: return 0
    case .bool: return 1
    case .int, .double: return 2
    case .timestamp: return 3
    case .date: return 4
    case .string: return 5
    }
  }

  /// Text for tables and CSV: timestamps in ISO-8601 UTC with microseconds only when present.
  public var text: String {
    switch self {
    case .null: return ""
    case .bool(let b): return b ? "true" : "false"
    case .int(let v): return String(v)
    case .double(let v): return String(v)
    case .string(let s): return s
    case .timestamp(let micros): return Self.iso8601(micros)
    case .date(let days):
      let (y, m, d) = TimeParser.civilFromDays(days)
      return "\(Self.pad(y, 4))-\(Self.pad(m, 2))-\(Self.pad(d, 2))"
    }
  }

  static func pad(_ v: Int, _ width: Int) -> String {
    let s = String(v)
    return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
  }

  public static func iso8601(_ micros: Int64) -> String {
    String(unsafeUninitializedCapacity: 32) { writeISO8601(micros, into: $0) }
  }

  /// Appends `iso8601(micros)`'s bytes: result writers format millions of timestamps.
  public static func appendISO8601(_ micros: Int64, to out: inout [UInt8]) {
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { buffer in
      let n = writeISO8601(micros, into: buffer)
      out.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[..<n]))
    }
  }

  /// Writes the ISO-8601 text into `buffer` (at least 32 bytes) and returns its length.
  private static func writeISO8601(_ micros: Int64, into buffer: UnsafeMutableBufferPointer<UInt8>) -> Int {
    let seconds = micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000
    let fraction = Int(micros - seconds * 1_000_000)
    let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
    let rest = Int(seconds - days * 86_400)
    let (y, m, d) = TimeParser.civilFromDays(days)
    guard (0...9999).contains(y) else {
      // Years of more than four digits (or before year 0) do not fit the fixed layout.
      var s = "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(rest / 3600, 2)):\(pad(rest / 60 % 60, 2)):"
      s += pad(rest % 60, 2) + (fraction != 0 ? "." + pad(fraction, 6) : "") + "Z"
      let bytes = Array(s.utf8.prefix(buffer.count))
      for (i, b) in bytes.enumerated() { buffer[i] = b }
      return bytes.count
    }
    var n = 0
    func put(_ v: Int, _ width: Int) {
      var v = v
      for k in stride(from: width - 1, through: 0, by: -1) {
        buffer[n + k] = UInt8(ascii: "0") + UInt8(v % 10)
        v /= 10
      }
      n += width
    }
    func put(byte: UInt8) {
      buffer[n] = byte
      n += 1
    }
    put(y, 4)
    put(byte: UInt8(ascii: "-"))
    put(m, 2)
    put(byte: UInt8(ascii: "-"))
    put(d, 2)
    put(byte: UInt8(ascii: "T"))
    put(rest / 3600, 2)
    put(byte: UInt8(ascii: ":"))
    put(rest / 60 % 60, 2)
    put(byte: UInt8(ascii: ":"))
    put(rest % 60, 2)
    if fraction != 0 {
      put(byte: UInt8(ascii: "."))
      put(fraction, 6)
    }
    put(byte: UInt8(ascii: "Z"))
    return n
  }
}
