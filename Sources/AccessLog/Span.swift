/// A field as a byte range of the line it came from; `length == -1` means the log wrote null
/// (`-` or `"-"`), which is distinct from an empty value (`""`).
public struct Span: Equatable, Sendable {
  public var start: Int32
  public var length: Int32

  @inline(__always)
  public init(start: Int, end: Int) {
    self.start = Int32(start)
    self.length = Int32(end - start)
  }

  public static let null = Span(start: 0, length: -1)

  @inline(__always)
  init(start: Int32, length: Int32) {
    self.start = start
    self.length = length
  }

  // Inlinable: the row builders in other modules call these for every field.
  @inlinable @inline(__always) public var isNull: Bool { length < 0 }
  @inlinable @inline(__always) public var end: Int { Int(start) + Int(length) }

  /// The bytes of this field inside `line`; an empty buffer for null.
  @inlinable @inline(__always)
  public func bytes(in line: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
    isNull ? UnsafeRawBufferPointer(start: nil, count: 0) : UnsafeRawBufferPointer(rebasing: line[Int(start)..<end])
  }
}
