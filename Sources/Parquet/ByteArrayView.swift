/// Variable-length values in memory the caller owns, laid out as in `ByteArrayValues` (packed
/// when `starts` is nil): how a writer borrows a column it built outside Swift arrays.
/// Valid only during the call it is passed to.
public struct ByteArrayView: @unchecked Sendable {
  public let bytes: UnsafeRawBufferPointer
  public let ends: UnsafeBufferPointer<UInt32>
  public let isNull: UnsafeBufferPointer<Bool>
  public let starts: UnsafeBufferPointer<UInt32>?

  public init(
    bytes: UnsafeRawBufferPointer, ends: UnsafeBufferPointer<UInt32>, isNull: UnsafeBufferPointer<Bool>,
    starts: UnsafeBufferPointer<UInt32>? = nil
  ) {
    precondition(ends.count == isNull.count && (starts == nil || starts!.count == ends.count))
    self.bytes = bytes
    self.ends = ends
    self.isNull = isNull
    self.starts = starts
  }

  public var count: Int { ends.count }

  @inline(__always)
  public func range(_ i: Int) -> Range<Int> {
    if let starts { return Int(starts[i])..<Int(ends[i]) }
    let start = i == 0 ? 0 : Int(ends[i - 1])
    return start..<Int(ends[i])
  }

  @inline(__always)
  public func value(_ i: Int) -> UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: bytes[range(i)]) }
}

extension ByteArrayValues {
  /// Calls `body` with a view of these values.
  public func withView<R>(_ body: (ByteArrayView) throws -> R) rethrows -> R {
    try bytes.withUnsafeBytes { b in
      try ends.withUnsafeBufferPointer { e in
        try isNull.withUnsafeBufferPointer { n in
          if starts.isEmpty { return try body(ByteArrayView(bytes: b, ends: e, isNull: n)) }
          return try starts.withUnsafeBufferPointer { s in
            try body(ByteArrayView(bytes: b, ends: e, isNull: n, starts: s))
          }
        }
      }
    }
  }
}
