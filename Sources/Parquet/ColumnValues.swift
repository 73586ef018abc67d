/// One column of one row group, as handed to the writer.
///
/// Values are stored densely in row order; a null row still occupies a slot (zero, false or an
/// empty byte range) so that row `i` is always at index `i`, and `isNull` has one entry per row.
public enum ColumnValues: Sendable {
  case boolean(values: [Bool], isNull: [Bool])
  case int32(values: [Int32], isNull: [Bool])
  case int64(values: [Int64], isNull: [Bool])
  /// FLOAT and DOUBLE columns of files written by others; read, never written.
  case double(values: [Double], isNull: [Bool])
  case byteArray(ByteArrayValues)

  /// Whether row `i` is null.
  public func isNull(_ i: Int) -> Bool {
    switch self {
    case .boolean(_, let n), .int32(_, let n), .int64(_, let n), .double(_, let n): return !n.isEmpty && n[i]
    case .byteArray(let b): return !b.isNull.isEmpty && b.isNull[i]
    }
  }

  public var count: Int {
    switch self {
    case .boolean(let v, _): return v.count
    case .int32(let v, _): return v.count
    case .int64(let v, _): return v.count
    case .double(let v, _): return v.count
    case .byteArray(let b): return b.count
    }
  }
}

extension ColumnValues {
  /// Appends `other`'s rows (of the same type; a mismatch is a programming error).
  public mutating func append(contentsOf other: ColumnValues) {
    switch (self, other) {
    case (.boolean(var v, var n), .boolean(let v2, let n2)):
      v += v2
      n += n2
      self = .boolean(values: v, isNull: n)
    case (.int32(var v, var n), .int32(let v2, let n2)):
      v += v2
      n += n2
      self = .int32(values: v, isNull: n)
    case (.int64(var v, var n), .int64(let v2, let n2)):
      v += v2
      n += n2
      self = .int64(values: v, isNull: n)
    case (.double(var v, var n), .double(let v2, let n2)):
      v += v2
      n += n2
      self = .double(values: v, isNull: n)
    case (.byteArray(var b), .byteArray(var b2)):
      let base = UInt32(b.bytes.count)
      if !b.starts.isEmpty || !b2.starts.isEmpty {
        b.unpack()
        b2.unpack()
        b.starts += b2.starts.map { $0 + base }
      }
      b.bytes += b2.bytes
      b.ends += b2.ends.map { $0 + base }
      b.isNull += b2.isNull
      self = .byteArray(b)
    default:
      preconditionFailure("appending columns of different types")
    }
  }
}

/// Variable-length values in one arena: value `i` is `bytes[ends[i-1] ..< ends[i]]` when packed,
/// `bytes[starts[i] ..< ends[i]]` when `starts` is given. (A reader keeps PLAIN pages whole,
/// length prefixes and all, rather than copying value by value; writers pack.)
public struct ByteArrayValues: Sendable {
  public var bytes: [UInt8]
  public var ends: [UInt32]
  public var isNull: [Bool]
  /// Empty when packed; otherwise one start per value.
  public var starts: [UInt32] = []

  public init(bytes: [UInt8] = [], ends: [UInt32] = [], isNull: [Bool] = []) {
    self.bytes = bytes
    self.ends = ends
    self.isNull = isNull
  }

  public var count: Int { ends.count }

  @inline(__always)
  public func range(_ i: Int) -> Range<Int> {
    if !starts.isEmpty { return Int(starts[i])..<Int(ends[i]) }
    let start = i == 0 ? 0 : Int(ends[i - 1])
    return start..<Int(ends[i])
  }

  /// Gives every value an explicit start, so that values can follow that are not packed.
  public mutating func unpack() {
    guard starts.isEmpty, !ends.isEmpty else { return }
    starts.reserveCapacity(ends.capacity)
    starts.append(0)
    starts.append(contentsOf: ends.dropLast())
  }

  public mutating func reserve(rows: Int, bytes byteCount: Int) {
    ends.reserveCapacity(rows)
    isNull.reserveCapacity(rows)
    bytes.reserveCapacity(byteCount)
  }

  @inline(__always)
  public mutating func append(_ value: UnsafeRawBufferPointer) {
    if !starts.isEmpty { starts.append(UInt32(bytes.count)) }
    bytes.append(contentsOf: value)
    ends.append(UInt32(bytes.count))
    isNull.append(false)
  }

  public mutating func append(_ value: some Sequence<UInt8>) {
    if !starts.isEmpty { starts.append(UInt32(bytes.count)) }
    bytes.append(contentsOf: value)
    ends.append(UInt32(bytes.count))
    isNull.append(false)
  }

  @inline(__always)
  public mutating func appendNull() {
    if !starts.isEmpty { starts.append(UInt32(bytes.count)) }
    ends.append(UInt32(bytes.count))
    isNull.append(true)
  }

  public mutating func removeAll(keepingCapacity: Bool = true) {
    bytes.removeAll(keepingCapacity: keepingCapacity)
    ends.removeAll(keepingCapacity: keepingCapacity)
    isNull.removeAll(keepingCapacity: keepingCapacity)
    starts.removeAll(keepingCapacity: keepingCapacity)
  }
}
