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
}
