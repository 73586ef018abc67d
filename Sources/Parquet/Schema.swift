/// Logical annotations; each also implies its legacy ConvertedType, which readers still consult.
public enum LogicalType: Sendable, Equatable {
  case none
  /// UTF-8 text (`STRING` + `UTF8`). Values must be valid UTF-8: DuckDB refuses the scan otherwise.
  case string
  /// `TIMESTAMP(isAdjustedToUTC = true, MICROS)` on INT64.
  case timestampMicrosUTC
  /// `DATE` on INT32, days since 1970-01-01.
  case date
  /// `INTEGER(bitWidth, signed)`.
  case integer(bitWidth: Int8, signed: Bool)
}

public struct ColumnDescriptor: Sendable {
  public var name: String
  public var physicalType: PhysicalType
  public var logicalType: LogicalType
  public var nullable: Bool
  /// Stable id written as `SchemaElement.field_id`, so Iceberg-style readers can map columns.
  public var fieldId: Int32
  /// Store a Split Block Bloom Filter per chunk (byte-array columns), for equality lookups on
  /// high-cardinality values that min/max cannot prune.
  public var bloomFilter: Bool
  /// Chunks that do not take a dictionary are written with the DELTA encodings instead of PLAIN:
  /// DELTA_BINARY_PACKED for integers (times and offsets that grow by small steps), and
  /// DELTA_LENGTH_BYTE_ARRAY for text (lengths packed apart, so zstd sees only the characters:
  /// ids, hashes and URIs of random-looking text compress 3-8% better).
  public var deltaEncoded: Bool

  public init(
    name: String, physicalType: PhysicalType, logicalType: LogicalType = .none,
    nullable: Bool = true, fieldId: Int32, bloomFilter: Bool = false, deltaEncoded: Bool = false
  ) {
    self.bloomFilter = bloomFilter
    self.deltaEncoded = deltaEncoded
    self.name = name
    self.physicalType = physicalType
    self.logicalType = logicalType
    self.nullable = nullable
    self.fieldId = fieldId
  }
}

public struct Schema: Sendable {
  public var name: String
  public var columns: [ColumnDescriptor]

  public init(name: String = "schema", columns: [ColumnDescriptor]) {
    self.name = name
    self.columns = columns
  }
}
