/// The other timestamp layouts CloudTrail writes (reference §6.2).
extension TimeParser {
  /// `2020-09-14T00:48:30Z`, with optional fraction (`.138Z`, kept to microseconds) and an
  /// optional `+hh:mm`/`-hh:mm` offset instead of `Z`; also the space-separated form.
  public static func parseISO8601(_ b: UnsafeRawBufferPointer) -> Int64? {
    guard b.count >= 19, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"),
      b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: "t") || b[10] == UInt8(ascii: " "),
      b[13] == UInt8(ascii: ":"), b[16] == UInt8(ascii: ":"),
      let y = digits(b, 0, 4), let mo = digits(b, 5, 2), let d = digits(b, 8, 2), let h = digits(b, 11, 2),
      let mi = digits(b, 14, 2), let s = digits(b, 17, 2), validDate(y, mo, d), validClock(h, mi, s)
    else { return nil }
    var micros = (daysFromCivil(year: y, month: mo, day: d) * 86_400 + Int64(h * 3600 + mi * 60 + s)) * microsPerSecond
    var i = 19
    if i < b.count && b[i] == UInt8(ascii: ".") {
      i += 1
      var scale: Int64 = 100_000
      let start = i
      while i < b.count, b[i] >= 0x30 && b[i] <= 0x39 {
        micros += Int64(b[i] - 0x30) * scale
        scale /= 10
        i += 1
      }
      guard i > start else { return nil }
    }
    if i == b.count { return micros }  // Lake exports omit the zone; CloudTrail times are UTC.
    if b[i] == UInt8(ascii: "Z") || b[i] == UInt8(ascii: "z") { return i + 1 == b.count ? micros : nil }
    guard b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-"), i + 6 == b.count, b[i + 3] == UInt8(ascii: ":"),
      let oh = digits(b, i + 1, 2), let om = digits(b, i + 4, 2)
    else { return nil }
    let offset = Int64(oh * 3600 + om * 60) * microsPerSecond
    return b[i] == UInt8(ascii: "+") ? micros - offset : micros + offset
  }

  /// `Sep 14, 2020, 7:10:27 AM` and `Oct 2, 2019 11:12:29 PM` (STS and IAM responses; UTC).
  public static func parseEnglishDateTime(_ b: UnsafeRawBufferPointer) -> Int64? {
    var i = 0
    let n = b.count
    func skip(_ c: UInt8) { if i < n && b[i] == c { i += 1 } }
    func number(maxDigits: Int) -> Int? {
      var v = 0
      var k = 0
      while i < n, k < maxDigits, b[i] >= 0x30 && b[i] <= 0x39 {
        v = v * 10 + Int(b[i] - 0x30)
        i += 1
        k += 1
      }
      return k > 0 ? v : nil
    }
    guard n >= 18, let mo = month(b, 0) else { return nil }
    i = 3
    while i < n && b[i] != UInt8(ascii: " ") { i += 1 }  // "Sep" or "Sept"/"September"
    skip(UInt8(ascii: " "))
    guard let d = number(maxDigits: 2) else { return nil }
    skip(UInt8(ascii: ","))
    skip(UInt8(ascii: " "))
    guard let y = number(maxDigits: 4) else { return nil }
    skip(UInt8(ascii: ","))
    skip(UInt8(ascii: " "))
    guard var h = number(maxDigits: 2), i < n, b[i] == UInt8(ascii: ":") else { return nil }
    i += 1
    guard let mi = number(maxDigits: 2), i < n, b[i] == UInt8(ascii: ":") else { return nil }
    i += 1
    guard let s = number(maxDigits: 2) else { return nil }
    skip(UInt8(ascii: " "))
    if i + 2 <= n {
      let a = b[i] | 0x20
      guard b[i + 1] | 0x20 == UInt8(ascii: "m"), a == UInt8(ascii: "a") || a == UInt8(ascii: "p"), h >= 1, h <= 12
      else { return nil }
      if a == UInt8(ascii: "a") && h == 12 { h = 0 }
      if a == UInt8(ascii: "p") && h != 12 { h += 12 }
      i += 2
    }
    guard i == n, validDate(y, mo, d), validClock(h, mi, s) else { return nil }
    return (daysFromCivil(year: y, month: mo, day: d) * 86_400 + Int64(h * 3600 + mi * 60 + s)) * microsPerSecond
  }

  /// Any of the forms above or SigV4 basic notation (`20131102T010628Z`).
  public static func parseAnyTime(_ b: UnsafeRawBufferPointer) -> Int64? {
    guard let first = b.first else { return nil }
    if first >= 0x30 && first <= 0x39 {
      return b.count == 16 ? parseAmzDate(b) : parseISO8601(b)
    }
    return parseEnglishDateTime(b)
  }
}
