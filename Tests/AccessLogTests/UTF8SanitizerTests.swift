import Testing

@testable import LogBytes

@Suite struct UTF8SanitizerTests {
  /// The character-by-character definition: each byte that starts no valid sequence becomes
  /// U+FFFD, every valid sequence is kept.
  static func reference(_ b: [UInt8]) -> [UInt8] {
    var out: [UInt8] = []
    b.withUnsafeBytes { raw in
      var i = 0
      while i < raw.count {
        let len = UTF8Sanitizer.sequenceLength(raw, i)
        if len == 0 {
          out += [0xEF, 0xBF, 0xBD]
          i += 1
        } else {
          out += raw[i..<(i + len)]
          i += len
        }
      }
    }
    return out
  }

  /// Runs copied whole give what the definition gives, over ASCII, valid multi-byte text, stray
  /// continuation bytes, cut-short sequences and overlongs, at every alignment.
  @Test func sanitizingMatchesTheDefinition() {
    var rng = SystemRandomNumberGenerator()
    let pieces: [[UInt8]] = [
      Array("plain ascii text".utf8), Array("café".utf8), Array("日本".utf8), Array("🙂".utf8), [0x80], [0xC3],
      [0xE2, 0x82], [0xF0, 0x9F, 0x99], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xFF], Array("a".utf8),
    ]
    for _ in 0..<3_000 {
      let input = (0..<Int.random(in: 0...12, using: &rng)).flatMap { _ in pieces.randomElement(using: &rng)! }
      var out: [UInt8] = [0x21]
      input.withUnsafeBytes { UTF8Sanitizer.appendSanitized($0, to: &out) }
      #expect(out == [0x21] + Self.reference(input), "\(input)")
      let valid = String(validating: out[1...], as: UTF8.self) != nil
      #expect(valid)
    }
  }

  /// One byte above 0x7F anywhere in up to 80 bytes (two and a half 32-byte steps, words, a
  /// tail) is found; none means ASCII.
  @Test func asciiCheckFindsAHighByteAtEveryPosition() {
    for count in 0...80 {
      var bytes = [UInt8](repeating: UInt8(ascii: "a"), count: count)
      bytes.withUnsafeBytes { #expect(UTF8Sanitizer.isASCII($0)) }
      for position in 0..<count {
        bytes[position] = 0x80
        bytes.withUnsafeBytes { #expect(!UTF8Sanitizer.isASCII($0), "\(count) \(position)") }
        bytes[position] = 0x7F
      }
    }
  }
}
