/// The tables an output directory holds, each under `OUT/<name>/dt=YYYY-MM-DD/`.
public enum ShardTable: String, CaseIterable, Sendable {
  case s3Access = "s3_access"
  case cloudtrail
  case rejects

  /// The column `--since` and `--until` apply to, and each part is sorted by.
  public var timeColumn: String {
    switch self {
    case .s3Access: return ColumnName.requestTime
    case .cloudtrail: return ColumnName.eventTime
    case .rejects: return ColumnName.rejectedAt
    }
  }
}
