import Testing

@testable import Parquet

@Suite struct RLEHybridDecoderTests {
  /// Definition levels with long runs, scattered values and a short last group: the flags
  /// `appendNulls` writes are the levels `decode` reads, negated, after what was already there.
  @Test(arguments: [1, 7, 8, 9, 1000, 4099])
  func nullFlagsMatchDecodedLevels(count: Int) throws {
    var levels: [UInt32] = []
    var state: UInt64 = UInt64(count)
    for i in 0..<count {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      levels.append((i / 50) % 3 == 0 ? 1 : UInt32(truncatingIfNeeded: state >> 63))
    }
    var encoded: [UInt8] = []
    RLEHybridEncoder.encode(levels, bitWidth: 1, into: &encoded)
    var nulls = [true, false]
    let nullCount = try encoded.withUnsafeBytes { try RLEHybridDecoder.appendNulls($0, count: count, into: &nulls) }
    #expect(nulls == [true, false] + levels.map { $0 == 0 })
    #expect(nullCount == levels.filter { $0 == 0 }.count)
  }

  @Test func levelsCutShortAreAnError() {
    var encoded: [UInt8] = []
    RLEHybridEncoder.encode([UInt32](repeating: 1, count: 100), bitWidth: 1, into: &encoded)
    var nulls: [Bool] = []
    #expect(throws: ParquetError.self) {
      try encoded.withUnsafeBytes { try RLEHybridDecoder.appendNulls($0, count: 101, into: &nulls) }
    }
  }
}
