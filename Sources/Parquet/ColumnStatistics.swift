/// Column-chunk statistics in the encoding `Statistics.min_value`/`max_value` expect: PLAIN bytes
/// without a length prefix, ordered by the column's TYPE_ORDER (signed for integers, unsigned
/// byte-wise for strings).
struct ColumnStatistics {
  var nullCount: Int64 = 0
  var distinctCount: Int64?
  var minValue: [UInt8]?
  var maxValue: [UInt8]?
  var minIsExact = true
  var maxIsExact = true
  /// The deprecated `min`/`max` fields are defined by signed comparison, so they are only written
  /// for signed-order types.
  var writeLegacyMinMax = false

  /// Longest string statistic kept; longer values are truncated to a bound and marked inexact.
  static let maxStringStatisticLength = 64

  mutating func setIntegerRange(min: Int64, max: Int64, physicalType: PhysicalType) {
    switch physicalType {
    case .int32:
      minValue = withUnsafeBytes(of: Int32(truncatingIfNeeded: min).littleEndian) { Array($0) }
      maxValue = withUnsafeBytes(of: Int32(truncatingIfNeeded: max).littleEndian) { Array($0) }
    default:
      minValue = withUnsafeBytes(of: min.littleEndian) { Array($0) }
      maxValue = withUnsafeBytes(of: max.littleEndian) { Array($0) }
    }
    writeLegacyMinMax = true
  }

  mutating func setStringRange(min: UnsafeRawBufferPointer, max: UnsafeRawBufferPointer) {
    let limit = Self.maxStringStatisticLength
    if min.count <= limit {
      minValue = Array(min)
    } else {
      minValue = Array(min[0..<Self.utf8Boundary(min, atMost: limit)])
      minIsExact = false
    }
    if max.count <= limit {
      maxValue = Array(max)
    } else if let bound = Self.upperBound(max, limit: limit) {
      maxValue = bound
      maxIsExact = false
    } else {
      maxValue = nil
    }
  }

  /// Largest prefix length ≤ `limit` that does not split a UTF-8 sequence.
  static func utf8Boundary(_ bytes: UnsafeRawBufferPointer, atMost limit: Int) -> Int {
    var n = limit
    while n > 0 && (bytes[n] & 0xC0) == 0x80 { n -= 1 }
    return n
  }

  /// A short value ≥ every string with the given prefix: the prefix with its last ASCII byte
  /// incremented. Staying in ASCII keeps the bound valid UTF-8, which readers decode for display.
  static func upperBound(_ bytes: UnsafeRawBufferPointer, limit: Int) -> [UInt8]? {
    var n = utf8Boundary(bytes, atMost: limit)
    while n > 0 {
      let b = bytes[n - 1]
      if b < 0x7F {
        var out = Array(bytes[0..<n])
        out[n - 1] = b + 1
        return out
      }
      n -= 1
    }
    return nil
  }

  func write(into w: inout ThriftCompactWriter, fieldId: Int16) {
    w.beginStruct(fieldId)
    if writeLegacyMinMax, let maxValue, let minValue {
      w.field(1, binary: maxValue)
      w.field(2, binary: minValue)
    }
    w.field(3, i64: nullCount)
    if let distinctCount { w.field(4, i64: distinctCount) }
    if let maxValue { w.field(5, binary: maxValue) }
    if let minValue { w.field(6, binary: minValue) }
    if maxValue != nil { w.field(7, bool: maxIsExact) }
    if minValue != nil { w.field(8, bool: minIsExact) }
    w.endStruct()
  }
}
