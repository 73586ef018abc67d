/// Timestamp arithmetic without Foundation: civil dates to epoch days and back (Howard Hinnant's
/// algorithms), and the fixed layouts AWS writes.
public enum TimeParser {
  public static let microsPerSecond: Int64 = 1_000_000
  public static let microsPerDay: Int64 = 86_400_000_000

  /// `start + seconds`, in microseconds; nil when a hostile or corrupt value would overflow
  /// (an `Expires` of 144444364127776 is a number, not a time).
  @inline(__always)
  public static func micros(_ start: Int64 = 0, plusSeconds seconds: Int64) -> Int64? {
    let (m, o1) = seconds.multipliedReportingOverflow(by: microsPerSecond)
    let (sum, o2) = start.addingReportingOverflow(m)
    return o1 || o2 ? nil : sum
  }

  /// Days since 1970-01-01 of a proleptic Gregorian date.
  @inline(__always)
  public static func daysFromCivil(year: Int, month: Int, day: Int) -> Int64 {
    let y = month <= 2 ? year - 1 : year
    let era = (y >= 0 ? y : y - 399) / 400
    let yoe = y - era * 400
    let mp = (month + 9) % 12
    let doy = (153 * mp + 2) / 5 + day - 1
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
    return Int64(era * 146_097 + doe - 719_468)
  }

  /// (year, month, day) of days since 1970-01-01.
  public static func civilFromDays(_ days: Int64) -> (year: Int, month: Int, day: Int) {
    let z = Int(days) + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let doe = z - era * 146_097
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
    let y = yoe + era * 400
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    let d = doy - (153 * mp + 2) / 5 + 1
    let m = mp < 10 ? mp + 3 : mp - 9
    return (m <= 2 ? y + 1 : y, m, d)
  }

  @inline(__always)
  static func digits(_ b: UnsafeRawBufferPointer, _ at: Int, _ n: Int) -> Int? {
    var v = 0
    for i in at..<(at + n) {
      let d = b[i] &- 0x30
      guard d < 10 else { return nil }
      v = v * 10 + Int(d)
    }
    return v
  }

  static func month(_ b: UnsafeRawBufferPointer, _ at: Int) -> Int? {
    // Lower-cased three letters packed into one integer.
    let key = (Int(b[at] | 0x20) << 16) | (Int(b[at + 1] | 0x20) << 8) | Int(b[at + 2] | 0x20)
    switch key {
    case 0x6a616e: return 1  // jan
    case 0x666562: return 2  // feb
    case 0x6d6172: return 3  // mar
    case 0x617072: return 4  // apr
    case 0x6d6179: return 5  // may
    case 0x6a756e: return 6  // jun
    case 0x6a756c: return 7  // jul
    case 0x617567: return 8  // aug
    case 0x736570: return 9  // sep
    case 0x6f6374: return 10  // oct
    case 0x6e6f76: return 11  // nov
    case 0x646563: return 12  // dec
    default: return nil
    }
  }

  static func validClock(_ h: Int, _ m: Int, _ s: Int) -> Bool { h < 24 && m < 60 && s < 61 }

  static func validDate(_ y: Int, _ mo: Int, _ d: Int) -> Bool {
    guard mo >= 1 && mo <= 12 && d >= 1 else { return false }
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
    let lengths = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    return d <= lengths[mo - 1]
  }

  /// `06/Feb/2019:00:00:38 +0000` → microseconds since the epoch, UTC.
  public static func parseAccessLogTime(_ b: UnsafeRawBufferPointer) -> Int64? {
    guard b.count == 26, b[2] == UInt8(ascii: "/"), b[6] == UInt8(ascii: "/"),
      b[11] == UInt8(ascii: ":"), b[14] == UInt8(ascii: ":"), b[17] == UInt8(ascii: ":"),
      b[20] == UInt8(ascii: " ")
    else { return nil }
    guard let d = digits(b, 0, 2), let mo = month(b, 3), let y = digits(b, 7, 4),
      let h = digits(b, 12, 2), let mi = digits(b, 15, 2), let s = digits(b, 18, 2),
      let oh = digits(b, 22, 2), let om = digits(b, 24, 2)
    else { return nil }
    let sign = b[21]
    guard sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-"), validDate(y, mo, d),
      validClock(h, mi, s), om < 60
    else { return nil }
    var seconds = daysFromCivil(year: y, month: mo, day: d) * 86_400 + Int64(h * 3600 + mi * 60 + s)
    let offset = Int64(oh * 3600 + om * 60)
    seconds -= sign == UInt8(ascii: "+") ? offset : -offset
    return seconds * microsPerSecond
  }

  /// `20201203T024116Z` (SigV4 `X-Amz-Date`) → microseconds since the epoch.
  public static func parseAmzDate(_ b: UnsafeRawBufferPointer) -> Int64? {
    guard b.count == 16, b[8] == UInt8(ascii: "T"), b[15] == UInt8(ascii: "Z") else { return nil }
    guard let y = digits(b, 0, 4), let mo = digits(b, 4, 2), let d = digits(b, 6, 2),
      let h = digits(b, 9, 2), let mi = digits(b, 11, 2), let s = digits(b, 13, 2),
      validDate(y, mo, d), validClock(h, mi, s)
    else { return nil }
    return (daysFromCivil(year: y, month: mo, day: d) * 86_400 + Int64(h * 3600 + mi * 60 + s))
      * microsPerSecond
  }

  /// `20201203` (credential scope date) → days since the epoch.
  public static func parseCompactDate(_ b: UnsafeRawBufferPointer) -> Int64? {
    guard b.count == 8, let y = digits(b, 0, 4), let mo = digits(b, 4, 2), let d = digits(b, 6, 2),
      validDate(y, mo, d)
    else { return nil }
    return daysFromCivil(year: y, month: mo, day: d)
  }
}
