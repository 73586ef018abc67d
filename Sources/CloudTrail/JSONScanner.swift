import LogBytes

/// A validating, non-allocating JSON scanner over a byte buffer.
///
/// It walks values in place: `value(at:)` returns where a value is and where it ends, checking
/// the grammar as it goes (strings and their escapes, numbers, literals, nesting up to
/// `maxDepth`), so a malformed record is found with its offset and never half-read.
public struct JSONScanner {
  public let buffer: UnsafeRawBufferPointer
  public let maxDepth: Int
  /// The values of the last value `value(at:)` validated, for the walks that follow.
  private let tape: ValueTape

  public init(_ buffer: UnsafeRawBufferPointer, maxDepth: Int = 256) {
    self.init(buffer, maxDepth: maxDepth, tapeEntries: ValueTape.maxEntries)
  }

  /// `tapeEntries` bounds the values one validation records (tests make it small).
  init(_ buffer: UnsafeRawBufferPointer, maxDepth: Int = 256, tapeEntries: Int) {
    self.buffer = buffer
    self.maxDepth = maxDepth
    tape = ValueTape(limit: tapeEntries)
  }

  @inline(__always)
  public func skipWhitespace(_ p: Int) -> Int {
    var i = p
    while i < buffer.count {
      let b = buffer[i]
      if b != 0x20 && b != 0x0A && b != 0x0D && b != 0x09 { break }
      i += 1
    }
    return i
  }

  /// The value starting at `p` (after whitespace) and the offset just past it.
  public func value(at p: Int) throws(JSONError) -> (JSONValue, Int) {
    tape.removeAll()
    return try value(at: p, depth: 0)
  }

  /// Starts the tape of an object whose members the caller validates one at a time
  /// (`memberValue`), to stream some of them; `endMembers` completes it. Returns its slot.
  func beginMembers() -> Int {
    tape.removeAll()
    return tape.reserve()
  }

  /// A member name or value of the object begun by `beginMembers`, validated and recorded
  /// after the members before it.
  func memberValue(at p: Int) throws(JSONError) -> (JSONValue, Int) { try value(at: p, depth: 1) }

  /// The object begun in `slot` and validated member by member, marked with its place on the
  /// tape (unless a `value(at:)` since then rewrote the tape: callers that streamed do not end).
  func endMembers(_ slot: Int, _ object: JSONValue) -> JSONValue { tape.fill(slot, object) }

  private func value(at p0: Int, depth: Int) throws(JSONError) -> (JSONValue, Int) {
    let p = skipWhitespace(p0)
    guard p < buffer.count else { throw JSONError(offset: p, reason: "unexpected end of input") }
    let slot = tape.reserve()
    switch buffer[p] {
    case UInt8(ascii: "\""):
      let (end, escaped) = try stringEnd(contentStart: p + 1)
      return (tape.fill(slot, JSONValue(kind: .string, start: p + 1, end: end, escaped: escaped)), end + 1)
    case UInt8(ascii: "{"):
      guard depth < maxDepth else { throw JSONError(offset: p, reason: "nesting deeper than \(maxDepth)") }
      var i = skipWhitespace(p + 1)
      if i < buffer.count && buffer[i] == UInt8(ascii: "}") {
        return (tape.fill(slot, JSONValue(kind: .object, start: p, end: i + 1)), i + 1)
      }
      while true {
        guard i < buffer.count, buffer[i] == UInt8(ascii: "\"") else {
          throw JSONError(offset: i, reason: "expected a member name")
        }
        let keySlot = tape.reserve()
        let (keyEnd, keyEscaped) = try stringEnd(contentStart: i + 1)
        _ = tape.fill(keySlot, JSONValue(kind: .string, start: i + 1, end: keyEnd, escaped: keyEscaped))
        i = skipWhitespace(keyEnd + 1)
        guard i < buffer.count, buffer[i] == UInt8(ascii: ":") else {
          throw JSONError(offset: i, reason: "expected ':' after a member name")
        }
        let (_, next) = try value(at: i + 1, depth: depth + 1)
        i = skipWhitespace(next)
        guard i < buffer.count else { throw JSONError(offset: i, reason: "unterminated object") }
        if buffer[i] == UInt8(ascii: ",") {
          i = skipWhitespace(i + 1)
          continue
        }
        guard buffer[i] == UInt8(ascii: "}") else { throw JSONError(offset: i, reason: "expected ',' or '}'") }
        return (tape.fill(slot, JSONValue(kind: .object, start: p, end: i + 1)), i + 1)
      }
    case UInt8(ascii: "["):
      guard depth < maxDepth else { throw JSONError(offset: p, reason: "nesting deeper than \(maxDepth)") }
      var i = skipWhitespace(p + 1)
      if i < buffer.count && buffer[i] == UInt8(ascii: "]") {
        return (tape.fill(slot, JSONValue(kind: .array, start: p, end: i + 1)), i + 1)
      }
      while true {
        let (_, next) = try value(at: i, depth: depth + 1)
        i = skipWhitespace(next)
        guard i < buffer.count else { throw JSONError(offset: i, reason: "unterminated array") }
        if buffer[i] == UInt8(ascii: ",") {
          i += 1
          continue
        }
        guard buffer[i] == UInt8(ascii: "]") else { throw JSONError(offset: i, reason: "expected ',' or ']'") }
        return (tape.fill(slot, JSONValue(kind: .array, start: p, end: i + 1)), i + 1)
      }
    case UInt8(ascii: "t"):
      try literal("true", at: p)
      return (tape.fill(slot, JSONValue(kind: .boolTrue, start: p, end: p + 4)), p + 4)
    case UInt8(ascii: "f"):
      try literal("false", at: p)
      return (tape.fill(slot, JSONValue(kind: .boolFalse, start: p, end: p + 5)), p + 5)
    case UInt8(ascii: "n"):
      try literal("null", at: p)
      return (tape.fill(slot, JSONValue(kind: .null, start: p, end: p + 4)), p + 4)
    case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
      let end = try numberEnd(p)
      return (tape.fill(slot, JSONValue(kind: .number, start: p, end: end)), end)
    default:
      throw JSONError(offset: p, reason: "unexpected byte 0x\(String(buffer[p], radix: 16)) where a value should start")
    }
  }

  private func literal(_ word: StaticString, at p: Int) throws(JSONError) {
    let n = word.utf8CodeUnitCount
    guard p + n <= buffer.count else { throw JSONError(offset: p, reason: "truncated literal") }
    for k in 0..<n where buffer[p + k] != word.utf8Start[k] {
      throw JSONError(offset: p, reason: "invalid literal")
    }
  }

  private func numberEnd(_ p: Int) throws(JSONError) -> Int {
    var i = p
    if buffer[i] == UInt8(ascii: "-") { i += 1 }
    let digitsStart = i
    while i < buffer.count && buffer[i] >= 0x30 && buffer[i] <= 0x39 { i += 1 }
    guard i > digitsStart else { throw JSONError(offset: p, reason: "invalid number") }
    if i < buffer.count && buffer[i] == UInt8(ascii: ".") {
      i += 1
      let f = i
      while i < buffer.count && buffer[i] >= 0x30 && buffer[i] <= 0x39 { i += 1 }
      guard i > f else { throw JSONError(offset: p, reason: "invalid number") }
    }
    if i < buffer.count && (buffer[i] == UInt8(ascii: "e") || buffer[i] == UInt8(ascii: "E")) {
      i += 1
      if i < buffer.count && (buffer[i] == UInt8(ascii: "+") || buffer[i] == UInt8(ascii: "-")) { i += 1 }
      let e = i
      while i < buffer.count && buffer[i] >= 0x30 && buffer[i] <= 0x39 { i += 1 }
      guard i > e else { throw JSONError(offset: p, reason: "invalid number") }
    }
    return i
  }

  /// Offset of the first byte at or after `start` that is `"`, `\\` or a control character.
  @inline(__always)
  func nextSpecial(from start: Int) -> Int { JSONText.firstSpecial(in: buffer, from: start) }

  /// Offset of the closing quote of a string whose content starts at `contentStart`, and
  /// whether it holds escapes. Inlined for the usual string, which has none.
  @inline(__always)
  private func stringEnd(contentStart: Int) throws(JSONError) -> (Int, Bool) {
    let i = nextSpecial(from: contentStart)
    if i < buffer.count && buffer[i] == UInt8(ascii: "\"") { return (i, false) }
    return try escapedStringEnd(contentStart: contentStart, from: i)
  }

  /// `stringEnd` from the first special byte `from` on: escapes, control characters, the end.
  private func escapedStringEnd(contentStart: Int, from: Int) throws(JSONError) -> (Int, Bool) {
    var i = from
    var escaped = false
    let n = buffer.count
    while i < n {
      let b = buffer[i]
      if b == UInt8(ascii: "\"") { return (i, escaped) }
      if b == UInt8(ascii: "\\") {
        escaped = true
        guard i + 1 < n else { break }
        switch buffer[i + 1] {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
          UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
          i += 2
        case UInt8(ascii: "u"):
          guard i + 5 < n, JSONStrings.hex4(buffer, i + 2) != nil else {
            throw JSONError(offset: i, reason: "invalid \\u escape")
          }
          i += 6
        default:
          throw JSONError(offset: i, reason: "invalid escape")
        }
        continue
      }
      if b < 0x20 { throw JSONError(offset: i, reason: "control character inside a string") }
      i = nextSpecial(from: i + 1)
    }
    throw JSONError(offset: contentStart - 1, reason: "unterminated string")
  }

  /// The value at `p` and the offset after it, for input already validated by `value(at:)`:
  /// strings are found by their quotes and containers by bracket depth, without checking the
  /// grammar again. Walks of values on the tape do not come here.
  @inline(__always)
  func validatedValue(at p0: Int) -> (JSONValue, Int) {
    let p = skipWhitespace(p0)
    let n = buffer.count
    guard p < n else { return (.missing, p) }
    switch buffer[p] {
    case UInt8(ascii: "\""):
      var i = nextSpecial(from: p + 1)
      var escaped = false
      while i < n && buffer[i] != UInt8(ascii: "\"") {
        escaped = true  // a backslash (control characters cannot occur in validated input)
        i = nextSpecial(from: i + 2)
      }
      return (JSONValue(kind: .string, start: p + 1, end: i, escaped: escaped), i + 1)
    case UInt8(ascii: "{"), UInt8(ascii: "["):
      let kind: JSONValue.Kind = buffer[p] == UInt8(ascii: "{") ? .object : .array
      var depth = 0
      var i = p
      while i < n {
        let c = buffer[i]
        if c == UInt8(ascii: "\"") {
          var j = nextSpecial(from: i + 1)
          while j < n && buffer[j] != UInt8(ascii: "\"") { j = nextSpecial(from: j + 2) }
          i = j + 1
          continue
        }
        if c == UInt8(ascii: "{") || c == UInt8(ascii: "[") {
          depth += 1
        } else if c == UInt8(ascii: "}") || c == UInt8(ascii: "]") {
          depth -= 1
          if depth == 0 { return (JSONValue(kind: kind, start: p, end: i + 1), i + 1) }
        }
        i += 1
      }
      return (.missing, n)
    case UInt8(ascii: "t"): return (JSONValue(kind: .boolTrue, start: p, end: p + 4), p + 4)
    case UInt8(ascii: "f"): return (JSONValue(kind: .boolFalse, start: p, end: p + 5), p + 5)
    case UInt8(ascii: "n"): return (JSONValue(kind: .null, start: p, end: p + 4), p + 4)
    default:
      var i = p
      while i < n {
        let c = buffer[i]
        if c == UInt8(ascii: ",") || c == UInt8(ascii: "}") || c == UInt8(ascii: "]") || c == 0x20 || c == 0x0A
          || c == 0x0D || c == 0x09
        {
          break
        }
        i += 1
      }
      return (JSONValue(kind: .number, start: p, end: i), i)
    }
  }

  /// Calls `body(name, value)` for each member of an object already validated by `value(at:)`.
  public func forEachMember(
    of object: JSONValue, _ body: (JSONValue, JSONValue) throws(JSONError) -> Void
  ) throws(JSONError) {
    guard object.kind == .object else { return }
    if let end = tape.subtreeEnd(of: object) {
      var slot = Int(object.slot) + 1
      while slot < end {
        try body(tape.value(slot), tape.value(slot + 1))
        slot = tape.next(slot + 1)
      }
      return
    }
    var i = skipWhitespace(Int(object.start) + 1)
    let end = Int(object.end) - 1
    while i < end {
      let (name, afterName) = validatedValue(at: i)
      let colon = skipWhitespace(afterName)
      let (v, afterValue) = validatedValue(at: colon + 1)
      try body(name, v)
      i = skipWhitespace(afterValue)
      if i < end && buffer[i] == UInt8(ascii: ",") { i = skipWhitespace(i + 1) }
    }
  }

  /// Calls `body(element)` for each element of an array already validated by `value(at:)`.
  public func forEachElement(of array: JSONValue, _ body: (JSONValue) throws(JSONError) -> Void) throws(JSONError) {
    guard array.kind == .array else { return }
    if let end = tape.subtreeEnd(of: array) {
      var slot = Int(array.slot) + 1
      while slot < end {
        try body(tape.value(slot))
        slot = tape.next(slot)
      }
      return
    }
    var i = skipWhitespace(Int(array.start) + 1)
    let end = Int(array.end) - 1
    while i < end {
      let (v, after) = validatedValue(at: i)
      try body(v)
      i = skipWhitespace(after)
      if i < end && buffer[i] == UInt8(ascii: ",") { i = skipWhitespace(i + 1) }
    }
  }

  /// The member `name` of `object`; `.missing` if absent. Names are compared as raw bytes.
  public func member(_ name: StaticString, of object: JSONValue) -> JSONValue {
    var found = JSONValue.missing
    try? forEachMember(of: object) { key, v throws(JSONError) in
      if found.isMissing && JSONStrings.equals(key, name, in: buffer) { found = v }
    }
    return found
  }
}
