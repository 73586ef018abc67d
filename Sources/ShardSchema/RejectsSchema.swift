import Parquet

/// The `rejects` table: every line or record that did not become a row, with where it was, why,
/// and a bounded excerpt with every secret fingerprinted, partitioned by the day of the run.
public enum RejectsSchema {
  public static let tableName = ShardTable.rejects.rawValue
  public static let schemaVersion = "1"
  /// Longest excerpt kept of a rejected line or record.
  public static let excerptLimit = 512

  /// Column positions, in schema order.
  public enum Column: Int, Sendable {
    case rejectedAt
    case table, sourceFile, sourceOffset, reason, explanation, excerpt, excerptTruncated, runID
  }

  public static let schema = Schema(
    name: tableName,
    columns: [
      ColumnDescriptor(
        name: ColumnName.rejectedAt, physicalType: .int64, logicalType: .timestampMicrosUTC, nullable: false, fieldId: 1
      ),
      ColumnDescriptor(
        name: ColumnName.table, physicalType: .byteArray, logicalType: .string, nullable: false, fieldId: 2),
      ColumnDescriptor(
        name: ColumnName.sourceFile, physicalType: .byteArray, logicalType: .string, nullable: false, fieldId: 3),
      ColumnDescriptor(name: ColumnName.sourceOffset, physicalType: .int64, nullable: false, fieldId: 4),
      ColumnDescriptor(
        name: ColumnName.reason, physicalType: .byteArray, logicalType: .string, nullable: false, fieldId: 5),
      ColumnDescriptor(name: ColumnName.explanation, physicalType: .byteArray, logicalType: .string, fieldId: 6),
      ColumnDescriptor(name: ColumnName.excerpt, physicalType: .byteArray, logicalType: .string, fieldId: 7),
      ColumnDescriptor(name: ColumnName.excerptTruncated, physicalType: .boolean, fieldId: 8),
      ColumnDescriptor(
        name: ColumnName.runID, physicalType: .byteArray, logicalType: .string, nullable: false, fieldId: 9),
    ])
}
