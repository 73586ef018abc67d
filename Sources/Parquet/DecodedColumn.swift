/// One column of one row group, decoded.
public enum DecodedColumn: Sendable {
  /// Values in row order, one slot per row (see `ColumnValues`).
  case values(ColumnValues)
  /// A byte-array chunk whose data pages all used the dictionary: filters can test each
  /// dictionary entry once and then compare codes. Null rows carry code 0.
  case dictionary(ByteArrayValues, codes: [UInt32], isNull: [Bool])

  public var count: Int {
    switch self {
    case .values(let v): return v.count
    case .dictionary(_, let codes, _): return codes.count
    }
  }

  /// The values in row order, expanding dictionary codes.
  public func materialized() -> ColumnValues {
    switch self {
    case .values(let v): return v
    case .dictionary(let dictionary, let codes, let isNull):
      var out = ByteArrayValues()
      dictionary.bytes.withUnsafeBytes { raw in
        for (i, code) in codes.enumerated() {
          if isNull[i] {
            out.appendNull()
          } else {
            out.append(UnsafeRawBufferPointer(rebasing: raw[dictionary.range(Int(code))]))
          }
        }
      }
      return .byteArray(out)
    }
  }
}
