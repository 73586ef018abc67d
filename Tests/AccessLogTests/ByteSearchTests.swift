import LogBytes
import Testing

@Suite struct ByteSearchTests {
  /// Every offset and length up to 40 bytes (five words and a tail), the byte placed nowhere,
  /// once, or several times, with neighbours one above and one below it (what a borrow in the
  /// word-at-a-time test would confuse): the answers are the naive loop's.
  @Test func wordAtATimeSearchesAgreeWithTheNaiveLoop() {
    var generator = SystemRandomNumberGenerator()
    for _ in 0..<3000 {
      let count = Int.random(in: 0...40, using: &generator)
      let target = UInt8.random(in: 1...254, using: &generator)
      var bytes = (0..<count).map { _ in
        [target &- 1, target &+ 1, 0, 0x80, target ^ 0x80, UInt8(ascii: "a")].randomElement(using: &generator)!
      }
      for _ in 0..<Int.random(in: 0...3, using: &generator) where count > 0 {
        bytes[Int.random(in: 0..<count, using: &generator)] = target
      }
      let from = Int.random(in: 0...count, using: &generator)
      let end = Int.random(in: from...count, using: &generator)
      bytes.withUnsafeBytes { b in
        let first = (from..<end).first { b[$0] == target } ?? end
        let last = (from..<end).last { b[$0] == target }
        #expect(ByteSearch.first(target, in: b, from: from, end: end) == first)
        #expect(ByteSearch.firstInLongRun(target, in: b, from: from, end: end) == first)
        #expect(ByteSearch.last(target, in: b, from: from, end: end) == last)
      }
    }
  }

  /// The JSON string scanner's stop bytes (quote, backslash, control characters) among bytes
  /// next to them in value (0x21, 0x5B, 0x5D, 0x20, 0x1F, 0x80): found where the naive loop
  /// finds them, from every offset.
  @Test func jsonSpecialBytesAgreeWithTheNaiveLoop() {
    var generator = SystemRandomNumberGenerator()
    let alphabet: [UInt8] = [0x21, 0x5B, 0x5D, 0x20, 0x80, 0x61, 0x23, 0x5C, 0x22, 0x1F, 0x00, 0x7F]
    for _ in 0..<3000 {
      let count = Int.random(in: 0...40, using: &generator)
      let ordinary = Int.random(in: 4...alphabet.count, using: &generator)
      let bytes = (0..<count).map { _ in
        Int.random(in: 0..<8, using: &generator) == 0
          ? alphabet.randomElement(using: &generator)!
          : alphabet[Int.random(in: 0..<min(ordinary, 6), using: &generator)]
      }
      let from = Int.random(in: 0...count, using: &generator)
      bytes.withUnsafeBytes { b in
        let expected = (from..<count).first { b[$0] == 0x22 || b[$0] == 0x5C || b[$0] < 0x20 } ?? count
        #expect(JSONText.firstSpecial(in: b, from: from) == expected, "\(bytes) \(from)")
      }
    }
  }
}
