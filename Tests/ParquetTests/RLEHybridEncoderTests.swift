import Testing

@testable import Parquet

@Suite struct RLEHybridEncoderTests {
  @Test func bitPacksZeroToSevenAtWidthThree() {
    var out: [UInt8] = []
    RLEHybridEncoder.encode(Array(0..<8), bitWidth: 3, into: &out)
    #expect(out == [0x03, 0x88, 0xC6, 0xFA])
  }

  @Test func thousandOnesBecomeOneRun() {
    var out: [UInt8] = []
    RLEHybridEncoder.encode([UInt32](repeating: 1, count: 1000), bitWidth: 1, into: &out)
    #expect(out == [0xD0, 0x0F, 0x01])
  }

  @Test func shortLastGroupIsPaddedToFullWidth() {
    var out: [UInt8] = []
    RLEHybridEncoder.encode([1, 0, 1], bitWidth: 1, into: &out)
    #expect(out == [0x03, 0x05])
  }

  /// Decodes the hybrid stream independently and checks every value comes back.
  @Test func roundTripsMixedRunsAndLiterals() {
    var values: [UInt32] = []
    var state: UInt64 = 42
    for i in 0..<5000 {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      if (i / 37) % 3 == 0 {
        values.append(7)
      } else {
        values.append(UInt32(truncatingIfNeeded: state >> 59))
      }
    }
    var out: [UInt8] = []
    RLEHybridEncoder.encode(values, bitWidth: 5, into: &out)
    #expect(Self.decode(out, bitWidth: 5, count: values.count) == values)
  }

  /// Packed levels (runs of nulls and values, single flips, every length around a group of
  /// eight) decode to the same levels, and uniform stretches become RLE runs.
  @Test func packedLevelsRoundTrip() {
    var state: UInt64 = 7
    for count in [1, 7, 8, 9, 15, 16, 17, 23, 24, 100, 1_000, 4_099] {
      for pattern in 0..<4 {
        var levels: [UInt32] = []
        for i in 0..<count {
          state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
          switch pattern {
          case 0: levels.append(UInt32(truncatingIfNeeded: state >> 63))
          case 1: levels.append((i / 40) % 2 == 0 ? 1 : 0)
          case 2: levels.append(i % 29 == 0 ? 0 : 1)
          default: levels.append((i / 13) % 3 == 0 ? UInt32(truncatingIfNeeded: state >> 63) : 1)
          }
        }
        var packed = [UInt8](repeating: 0, count: (count + 7) / 8)
        for (i, l) in levels.enumerated() where l == 1 { packed[i / 8] |= 1 << UInt8(i % 8) }
        var out: [UInt8] = []
        packed.withUnsafeBufferPointer { RLEHybridEncoder.encodeBits($0, count: count, into: &out) }
        #expect(Self.decode(out, bitWidth: 1, count: count) == levels, "count \(count), pattern \(pattern)")
        if pattern == 1 && count >= 1_000 { #expect(out.count < count / 8) }
      }
    }
  }

  static func decode(_ bytes: [UInt8], bitWidth: Int, count: Int) -> [UInt32] {
    var result: [UInt32] = []
    var p = 0
    func varint() -> UInt64 {
      var v: UInt64 = 0
      var shift: UInt64 = 0
      while true {
        let b = bytes[p]
        p += 1
        v |= UInt64(b & 0x7F) << shift
        if b < 0x80 { return v }
        shift += 7
      }
    }
    while result.count < count && p < bytes.count {
      let header = varint()
      if header & 1 == 0 {
        var v: UInt32 = 0
        for k in 0..<((bitWidth + 7) / 8) {
          v |= UInt32(bytes[p]) << (8 * k)
          p += 1
        }
        result.append(contentsOf: repeatElement(v, count: Int(header >> 1)))
      } else {
        let n = Int(header >> 1) * 8
        var acc: UInt64 = 0
        var bits = 0
        for _ in 0..<n {
          while bits < bitWidth {
            acc |= UInt64(bytes[p]) << UInt64(bits)
            p += 1
            bits += 8
          }
          result.append(UInt32(acc & ((1 << UInt64(bitWidth)) - 1)))
          acc >>= UInt64(bitWidth)
          bits -= bitWidth
        }
      }
    }
    return Array(result.prefix(count))
  }
}
