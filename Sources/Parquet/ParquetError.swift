/// What went wrong reading or writing Parquet. The message names what was found; `located`
/// says where (file, row group, column) around an error from further in.
public enum ParquetError: Error, CustomStringConvertible, Sendable, Equatable {
  /// Bytes that break the format (footer, page header, encoding, compression): a damaged or
  /// hostile file.
  case corrupt(String)
  /// Valid Parquet this library does not handle (encryption, nested columns, some types).
  case unsupported(String)
  /// A system call failed (open, map, write, fsync), or a row group or column that is not there
  /// was asked for.
  case io(String)
  /// Where `error` happened.
  indirect case located(String, ParquetError)

  public var description: String {
    switch self {
    case .corrupt(let m), .unsupported(let m), .io(let m): return m
    case .located(let place, let error): return "\(place): \(error.description)"
    }
  }

  /// The error without its places.
  public var underlying: ParquetError {
    if case .located(_, let error) = self { return error.underlying }
    return self
  }
}
