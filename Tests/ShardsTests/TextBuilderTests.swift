import LogBytes
import Parquet
import Testing

@testable import Shards

@Suite struct TextBuilderTests {
  /// Values of every length around the copy's word boundaries, nulls, empty strings and
  /// invalid UTF-8, past several growths: the view holds exactly what a `ByteArrayValues`
  /// built the plain way holds, before and after the builder is emptied and reused.
  @Test func viewMatchesPlainValuesAcrossGrowthAndReuse() {
    let storage = TextBuilders(count: 1)
    let builder = storage.columns
    var generator = SystemRandomNumberGenerator()
    for round in 0..<2 {
      var expected = ByteArrayValues()
      for i in 0..<5_000 {
        switch i % 11 {
        case 0:
          builder.pointee.appendNull()
          expected.appendNull()
        case 1:
          var invalid: [UInt8] = Array("caf".utf8) + [0xE9, 0x20, 0xFF]
          invalid.append(UInt8(truncatingIfNeeded: i))
          invalid.withUnsafeBytes { builder.pointee.appendText($0, ascii: false) }
          var repaired: [UInt8] = []
          invalid.withUnsafeBytes { UTF8Sanitizer.appendSanitized($0, to: &repaired) }
          expected.append(repaired)
        default:
          let length = i % 3 == 0 ? Int.random(in: 0...40, using: &generator) : (i / 11 + round) % 300
          let value = (0..<length).map { UInt8(ascii: "a") + UInt8(($0 * 7 + i) % 26) }
          value.withUnsafeBytes { builder.pointee.appendText($0, ascii: true) }
          expected.append(value)
        }
      }
      let view = builder.pointee.view()
      #expect(view.count == expected.count)
      for row in 0..<expected.count {
        #expect(view.isNull[row] == expected.isNull[row])
        #expect(Array(view.value(row)) == Array(expected.bytes[expected.range(row)]))
        #expect(Array(builder.pointee.value(row)) == Array(expected.bytes[expected.range(row)]))
      }
      builder.pointee.removeAll()
      #expect(builder.pointee.count == 0 && builder.pointee.byteCount == 0)
    }
  }

  /// A column that reserves its byte limit marks the whole batch full (so it is written long
  /// before 32-bit offsets could overflow).
  @Test func passingTheByteLimitMarksTheBatchFull() {
    let storage = TextBuilders(count: 2, byteLimit: 100_000)
    let value = [UInt8](repeating: UInt8(ascii: "x"), count: 1_000)
    for _ in 0..<60 { value.withUnsafeBytes { storage.columns[1].append($0) } }
    #expect(!storage.full.pointee)
    for _ in 0..<10 { value.withUnsafeBytes { storage.columns[1].append($0) } }
    #expect(storage.full.pointee)
    #expect(storage.columns[1].count == 70 && storage.columns[0].count == 0)
  }
}

@Suite struct FixedBuilderTests {
  /// Values and null flags come back in row order across growths, and again after emptying.
  @Test func viewHoldsEveryRowAcrossGrowthAndReuse() {
    let storage = FixedBuilders<Int64>(count: 1)
    let builder = storage.columns
    for round in 0..<2 {
      for i in 0..<3_000 { builder.pointee.append(Int64(i * 7 + round), null: i % 5 == 0) }
      let view = builder.pointee.view()
      #expect(view.values.count == 3_000 && view.isNull.count == 3_000)
      #expect((0..<3_000).allSatisfy { view.values[$0] == Int64($0 * 7 + round) && view.isNull[$0] == ($0 % 5 == 0) })
      builder.pointee.removeAll()
      #expect(builder.pointee.count == 0)
    }
  }
}
