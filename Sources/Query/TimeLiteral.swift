import LogBytes

#if canImport(Glibc)
  import Glibc
#endif

/// Times on the command line: ISO-8601 (`2024-03-01`, `2024-03-01T07:10:27Z`, with offsets), epoch
/// seconds, `now`, or relative to now (`7d`, `12h`, `30m`, `90s`, `2w`: that long ago).
public enum TimeLiteral {
  public static func nowMicros() -> Int64 {
    var t = timespec()
    clock_gettime(CLOCK_REALTIME, &t)
    return Int64(t.tv_sec) * 1_000_000 + Int64(t.tv_nsec) / 1000
  }

  public static func parse(_ text: String, now: Int64 = nowMicros()) -> Int64? {
    let s = text.trimmingCharacters(in: " ")
    if s == "now" { return now }
    if let duration = Duration.parse(s) {
      let (t, overflow) = now.subtractingReportingOverflow(duration)
      return overflow ? nil : t
    }
    var bytes = Array(s.utf8)
    if bytes.count == 10 { bytes += Array("T00:00:00Z".utf8) }
    if let v = bytes.withUnsafeBytes({ TimeParser.parseISO8601($0) }) { return v }
    if let seconds = Int64(s), s.count >= 9 {
      let (t, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000)
      return overflow ? nil : t
    }
    return nil
  }
}

/// Durations: a number and a unit (`s`, `m`, `h`, `d`, `w`), or several (`1h30m`), in microseconds.
public enum Duration {
  public static func parse(_ text: String) -> Int64? {
    var total: Int64 = 0
    var number: Int64?
    var any = false
    for c in text {
      if let digit = c.wholeNumberValue, c.isASCII {
        let (shifted, o1) = (number ?? 0).multipliedReportingOverflow(by: 10)
        let (next, o2) = shifted.addingReportingOverflow(Int64(digit))
        guard !o1, !o2 else { return nil }
        number = next
        continue
      }
      guard let n = number else { return nil }
      let unit: Int64
      switch c {
      case "s": unit = 1
      case "m": unit = 60
      case "h": unit = 3600
      case "d": unit = 86_400
      case "w": unit = 604_800
      default: return nil
      }
      // Past ~292,000 years microseconds overflow: no time, rather than a crash.
      let (seconds, o1) = n.multipliedReportingOverflow(by: unit)
      let (micros, o2) = seconds.multipliedReportingOverflow(by: 1_000_000)
      let (sum, o3) = total.addingReportingOverflow(micros)
      guard !o1, !o2, !o3 else { return nil }
      total = sum
      number = nil
      any = true
    }
    return any && number == nil ? total : nil
  }
}

extension String {
  func trimmingCharacters(in set: Character) -> String {
    var s = Substring(self)
    while s.first == set { s = s.dropFirst() }
    while s.last == set { s = s.dropLast() }
    return String(s)
  }
}
