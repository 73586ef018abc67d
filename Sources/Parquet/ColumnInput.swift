/// One column of a row group as `ParquetFileWriter` takes it: values it may keep, or values it
/// borrows from the caller's memory for the duration of the call (laid out as in
/// `ColumnValues`: one slot per row, `isNull` beside).
public enum ColumnInput {
  case values(ColumnValues)
  case borrowedText(ByteArrayView)
  case borrowedInt64(UnsafeBufferPointer<Int64>, isNull: UnsafeBufferPointer<Bool>)
  case borrowedInt32(UnsafeBufferPointer<Int32>, isNull: UnsafeBufferPointer<Bool>)
  case borrowedBoolean(UnsafeBufferPointer<Bool>, isNull: UnsafeBufferPointer<Bool>)

  public var count: Int {
    switch self {
    case .values(let v): return v.count
    case .borrowedText(let v): return v.count
    case .borrowedInt64(let v, _): return v.count
    case .borrowedInt32(let v, _): return v.count
    case .borrowedBoolean(let v, _): return v.count
    }
  }
}
