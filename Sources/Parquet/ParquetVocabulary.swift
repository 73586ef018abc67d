// The enums of parquet.thrift that both the writer and the reader speak. Values read from a
// file that are not among them decode to nil and are reported by the reader, not trapped on.

/// `Type`: how values are stored.
public enum PhysicalType: Int32, Sendable, CaseIterable {
  case boolean = 0
  case int32 = 1
  case int64 = 2
  case int96 = 3
  case float = 4
  case double = 5
  case byteArray = 6
  case fixedLenByteArray = 7
}

/// `ConvertedType`: the legacy annotations, which readers still consult beside `LogicalType`.
public enum ConvertedType: Int32, Sendable {
  case utf8 = 0
  case enumeration = 4
  case date = 6
  case timestampMillis = 9
  case timestampMicros = 10
  case uint8 = 11
  case uint16 = 12
  case uint32 = 13
  case uint64 = 14
  case int8 = 15
  case int16 = 16
  case int32 = 17
  case int64 = 18
  case json = 19
}

/// `Encoding`: how a page's values (or levels) are laid out.
public enum Encoding: Int32, Sendable, CaseIterable {
  case plain = 0
  /// The dictionary encoding of Parquet 1 (RLE_DICTIONARY's predecessor, same layout).
  case plainDictionary = 2
  case rle = 3
  case bitPacked = 4
  case deltaBinaryPacked = 5
  case deltaLengthByteArray = 6
  case deltaByteArray = 7
  case rleDictionary = 8
  case byteStreamSplit = 9

  /// Values are dictionary codes.
  public var isDictionary: Bool { self == .plainDictionary || self == .rleDictionary }

  /// The name parquet.thrift gives it.
  public var name: String {
    switch self {
    case .plain: return "PLAIN"
    case .plainDictionary: return "PLAIN_DICTIONARY"
    case .rle: return "RLE"
    case .bitPacked: return "BIT_PACKED"
    case .deltaBinaryPacked: return "DELTA_BINARY_PACKED"
    case .deltaLengthByteArray: return "DELTA_LENGTH_BYTE_ARRAY"
    case .deltaByteArray: return "DELTA_BYTE_ARRAY"
    case .rleDictionary: return "RLE_DICTIONARY"
    case .byteStreamSplit: return "BYTE_STREAM_SPLIT"
    }
  }
}

/// `PageType`.
public enum PageType: Int32, Sendable {
  case dataPage = 0
  case indexPage = 1
  case dictionaryPage = 2
  case dataPageV2 = 3
}

/// `CompressionCodec`.
public enum CompressionCodec: Int32, Sendable {
  case uncompressed = 0
  case snappy = 1
  case gzip = 2
  case lzo = 3
  case brotli = 4
  case lz4 = 5
  case zstd = 6
  case lz4Raw = 7

  /// The name parquet.thrift gives it.
  public var name: String {
    switch self {
    case .uncompressed: return "UNCOMPRESSED"
    case .snappy: return "SNAPPY"
    case .gzip: return "GZIP"
    case .lzo: return "LZO"
    case .brotli: return "BROTLI"
    case .lz4: return "LZ4"
    case .zstd: return "ZSTD"
    case .lz4Raw: return "LZ4_RAW"
    }
  }
}

/// `FieldRepetitionType`.
public enum Repetition: Int32, Sendable {
  case required = 0
  case optional = 1
  case repeated = 2
}
