import Testing

@testable import CloudTrail

@Suite struct JSONScannerTests {
  static func scan(_ text: String) -> Result<(JSONValue, Int), JSONError> {
    Array(text.utf8).withUnsafeBytes { b in
      Result { () throws(JSONError) in try JSONScanner(b).value(at: 0) }
    }
  }

  static func decode(_ json: String) -> String? {
    Array(json.utf8).withUnsafeBytes { b in
      guard let (v, _) = try? JSONScanner(b).value(at: 0) else { return nil }
      return JSONStrings.string(v, in: b)
    }
  }

  @Test func escapesAndSurrogatePairsDecode() {
    #expect(Self.decode(#""a\"b\\c\/d\n\t""#) == "a\"b\\c/d\n\t")
    #expect(Self.decode(#""\u003csensitiveDataRemoved\u003e""#) == "<sensitiveDataRemoved>")
    #expect(Self.decode(#""caf\u00e9 \ud83d\ude00""#) == "café 😀")
    #expect(Self.decode(#""lone \ud83d end""#) == "lone \u{FFFD} end")
    #expect(Self.decode(#""low \ude00""#) == "low \u{FFFD}")
    #expect(Self.decode("\"raw UTF-8 é\"") == "raw UTF-8 é")
  }

  @Test func valuesOfEveryKindAndTheirExtent() throws {
    let text = #"{"a": [1, -2.5e3, 0, 21838.0], "b": {"c": null, "d": true, "e": false}, "f": ""}"#
    let (v, end) = try Self.scan(text).get()
    #expect(v.kind == .object)
    #expect(end == text.utf8.count)
    Array(text.utf8).withUnsafeBytes { b in
      let s = JSONScanner(b)
      let a = s.member("a", of: v)
      var numbers: [Int64?] = []
      try? s.forEachElement(of: a) { e in numbers.append(JSONStrings.integer(e, in: b)) }
      #expect(numbers == [1, -2500, 0, 21838])
      let inner = s.member("b", of: v)
      #expect(s.member("c", of: inner).kind == .null)
      #expect(s.member("d", of: inner).kind == .boolTrue)
      #expect(s.member("e", of: inner).kind == .boolFalse)
      #expect(s.member("zz", of: inner).kind == .missing)
      #expect(JSONStrings.string(s.member("f", of: v), in: b) == "")
    }
  }

  /// A random nested document, walked member by member and element by element to the bottom:
  /// the scanner that validated it (which reads members from its tape) and a fresh one (which
  /// scans the text) see the same values. So do scanners whose tape holds only a few values
  /// (containers it could not hold in full are scanned), and a walk of a value whose tape was
  /// since overwritten by another validation.
  @Test func walksAfterValidationSeeWhatAFreshScannerSees() throws {
    var rng = SystemRandomNumberGenerator()
    func make(_ depth: Int) -> String {
      switch depth > 4 ? Int.random(in: 0...2, using: &rng) : Int.random(in: 0...5, using: &rng) {
      case 0: return #""s\"]}{[""#
      case 1: return "-12.5e1"
      case 2: return "null"
      case 3, 4:
        let members = (0..<Int.random(in: 0...6, using: &rng)).map { "\"k\($0)\": \(make(depth + 1))" }
        return "{ " + members.joined(separator: " , ") + "}"
      default:
        return "[" + (0..<Int.random(in: 0...6, using: &rng)).map { _ in make(depth + 1) }.joined(separator: ",") + " ]"
      }
    }
    func walk(_ s: JSONScanner, _ v: JSONValue, into out: inout [JSONValue]) {
      out.append(v)
      if v.kind == .object {
        try? s.forEachMember(of: v) { k, m in
          out.append(k)
          walk(s, m, into: &out)
        }
      } else if v.kind == .array {
        try? s.forEachElement(of: v) { walk(s, $0, into: &out) }
      }
    }
    for round in 0..<300 {
      let text = "{\"Records\": \(make(0)), \"x\": [\(make(0)), \(make(0))]}"
      try Array(text.utf8).withUnsafeBytes { b in
        let validated = round % 3 == 0 ? JSONScanner(b, tapeEntries: round % 40) : JSONScanner(b)
        let (v, _) = try validated.value(at: 0)
        var seen: [JSONValue] = []
        var fresh: [JSONValue] = []
        walk(validated, v, into: &seen)
        walk(JSONScanner(b), v, into: &fresh)
        #expect(seen == fresh, "\(text)")
        // Walked twice, out of order.
        var again: [JSONValue] = []
        walk(validated, validated.member("x", of: v), into: &again)
        walk(validated, v, into: &again)
        var freshAgain: [JSONValue] = []
        walk(JSONScanner(b), JSONScanner(b).member("x", of: v), into: &freshAgain)
        walk(JSONScanner(b), v, into: &freshAgain)
        #expect(again == freshAgain)
        // The tape now holds "x"'s value only: walks of the whole document scan.
        let x = validated.member("x", of: v)
        _ = try validated.value(at: Int(x.start))
        var afterRevalidation: [JSONValue] = []
        walk(validated, v, into: &afterRevalidation)
        #expect(afterRevalidation == fresh)
      }
    }
  }

  /// A validation that fails half-way leaves no entry a later walk could take for checked
  /// bytes: after a broken value of another shape is validated where the tape held a good one,
  /// the good one is walked as a fresh scanner walks it.
  @Test func failedValidationLeavesNoUsableEntries() throws {
    let good = #"{"a": {"b": [1, 2]}, "c": "d"}"#
    let text = "[\(good), {\"z\": [true, {\"y\": 1 ]}]"
    try Array(text.utf8).withUnsafeBytes { b in
      let s = JSONScanner(b)
      let (value, _) = try s.value(at: 1)
      #expect(throws: JSONError.self) { try s.value(at: good.utf8.count + 3) }
      var names: [String?] = []
      try s.forEachMember(of: value) { k, _ in names.append(JSONStrings.string(k, in: b)) }
      #expect(names == ["a", "c"])
      let b1 = s.member("b", of: s.member("a", of: value))
      #expect(b1.kind == .array && Int(b1.end) == good.utf8.count - 11)
    }
  }

  /// Names compared a word at a time: equal, or one byte changed anywhere (first word, middle,
  /// the overlapping last word), or another length, the answer is the byte-wise one.
  @Test func memberNamesCompareAsTheirBytes() {
    let names: [StaticString] = [
      "a", "eventID", "abcdefgh", "eventTime", "abcdefghijklmnop", "x-amz-security-token",
      "sessionCredentialFromConsole",
    ]
    for name in names {
      let bytes = Array(UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
      var candidates = [bytes, bytes + [0x61], Array(bytes.dropLast())]
      for k in bytes.indices {
        var changed = bytes
        changed[k] ^= 0x20
        candidates.append(changed)
      }
      for candidate in candidates {
        let text = [0x22] + candidate + [0x22]
        text.withUnsafeBytes { b in
          let v = JSONValue(kind: .string, start: 1, end: 1 + candidate.count)
          #expect(JSONStrings.equals(v, name, in: b) == (candidate == bytes), "\(name) \(candidate)")
        }
      }
    }
  }

  @Test func numericStringsAndFloatsAreIntegers() {
    Array(#"["300", "x", 7759, 1.5, "-3", 1e2]"#.utf8).withUnsafeBytes { b in
      let s = JSONScanner(b)
      guard let (arr, _) = try? s.value(at: 0) else {
        Issue.record("did not parse")
        return
      }
      var out: [Int64?] = []
      try? s.forEachElement(of: arr) { out.append(JSONStrings.integer($0, in: b)) }
      #expect(out == [300, nil, 7759, 1, -3, 100])
    }
  }

  @Test(
    arguments: [
      (#"{"a": 1"#, "unterminated object"),
      (#"{"a" 1}"#, "expected ':'"),
      (#"{"a": tru}"#, "invalid literal"),
      (#"["abc]"#, "unterminated string"),
      (#"{"a": "\x"}"#, "invalid escape"),
      (#"{"a": "\u12G4"}"#, #"invalid \u escape"#),
      (#"[1 2]"#, "expected ',' or ']'"),
      (#"-"#, "invalid number"),
      (#"[01.]"#, "invalid number"),
      ("[\"a\u{01}\"]", "control character"),
    ] as [(String, String)])
  func malformedJSONIsAnErrorWithAnOffset(text: String, reason: String) {
    switch Self.scan(text) {
    case .success: Issue.record("accepted malformed JSON: \(text)")
    case .failure(let e):
      #expect(e.reason.contains(reason), "\(e.reason)")
      #expect(e.offset >= 0 && e.offset <= text.utf8.count)
    }
  }

  @Test func deepNestingIsRefusedNotACrash() {
    let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
    guard case .failure(let e) = Self.scan(deep) else {
      Issue.record("accepted")
      return
    }
    #expect(e.reason.contains("nesting"))
  }

  @Test func everyPrefixOfADocumentIsHandled() {
    let text = #"{"Records":[{"eventTime":"2020-09-14T00:48:30Z","a":[1,{"b":"\u00e9"}]}]}"#
    let bytes = Array(text.utf8)
    for n in 0..<bytes.count {
      let r = Array(bytes[0..<n]).withUnsafeBytes { b in
        Result { () throws(JSONError) in try JSONScanner(b).value(at: 0) }
      }
      if case .success = r { Issue.record("a truncated document parsed: \(n)") }
    }
  }
}
