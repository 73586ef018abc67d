import Query

/// What a hunt found: a table, and notes on what it could not know.
public struct HuntResult: Sendable {
  public var header: [String]
  public var rows: [[Value]]
  public var notes: [String] = []

  public init(header: [String], rows: [[Value]], notes: [String] = []) {
    self.header = header
    self.rows = rows
    self.notes = notes
  }

  /// The standard columns of one use.
  static let useHeader = [
    "time", "source", "id", "url_id", "signer_akid", "principal", "remote_ip", "user_agent", "operation", "object",
    "status", "error_code",
  ]

  static func useRow(_ u: PresignedUse) -> [Value] {
    [
      .timestamp(u.time), .string(u.source), .string(u.id), .string(u.urlID), text(u.akid), text(u.principal),
      text(u.ip), text(u.userAgent), text(u.operation), .string(u.object), u.status.map(Value.int) ?? .null,
      text(u.errorCode),
    ]
  }

  static func text(_ s: String) -> Value { s.isEmpty ? .null : .string(s) }
}
