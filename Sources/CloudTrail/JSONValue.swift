/// A JSON value located in a buffer, never copied: strings are the bytes between their quotes
/// (`escaped` tells whether decoding is needed), everything else is its whole source text.
public struct JSONValue: Sendable, Equatable {
  public enum Kind: UInt8, Sendable {
    case missing, null, boolTrue, boolFalse, number, string, object, array
  }

  public var kind: Kind
  public var escaped: Bool
  public var start: Int32
  public var end: Int32
  /// Where the scanner that validated it keeps it (`ValueTape`), or -1: walks of a container on
  /// the tape read its members from there instead of scanning. Not part of the value's identity.
  var slot: Int32 = -1

  public static let missing = JSONValue(kind: .missing, start: 0, end: 0, escaped: false)

  @inline(__always)
  public init(kind: Kind, start: Int, end: Int, escaped: Bool = false) {
    self.kind = kind
    self.start = Int32(start)
    self.end = Int32(end)
    self.escaped = escaped
  }

  public static func == (a: JSONValue, b: JSONValue) -> Bool {
    a.kind == b.kind && a.start == b.start && a.end == b.end && a.escaped == b.escaped
  }

  public var isMissing: Bool { kind == .missing }
  public var isString: Bool { kind == .string }
  public var isObject: Bool { kind == .object }
  /// Absent, `null`, or a type other than the one asked for all read as "no value".
  public var isNullish: Bool { kind == .missing || kind == .null }

  @inline(__always)
  public func bytes(in buffer: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
    UnsafeRawBufferPointer(rebasing: buffer[Int(start)..<Int(end)])
  }

  /// The whole source text of the value, quotes included for strings.
  public func sourceBytes(in buffer: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
    kind == .string
      ? UnsafeRawBufferPointer(rebasing: buffer[Int(start - 1)..<Int(end + 1)])
      : bytes(in: buffer)
  }
}

/// Why a JSON document or record could not be read.
public struct JSONError: Error, Sendable, CustomStringConvertible {
  /// Byte offset in the buffer where the problem was seen.
  public var offset: Int
  public var reason: String
  /// Already moved to the start of the record it breaks.
  var located = false

  public init(offset: Int, reason: String, located: Bool = false) {
    self.offset = offset
    self.reason = reason
    self.located = located
  }

  public var description: String { "offset \(offset): \(reason)" }
}
