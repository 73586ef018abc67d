/// Everything one `sigtrail index` run did, reconciled: every line read is either a row or a
/// rejection, every file found is either read, skipped with a reason, or reported as a problem.
public struct IndexSummary: Sendable, Codable {
  public struct FileNote: Sendable, Codable {
    public var path: String
    public var offset: Int64?
    public var reason: String
  }

  public struct Part: Sendable, Codable {
    public var table: String
    public var partition: String
    public var path: String
    public var rows: Int
    public var bytes: Int
  }

  public var filesFound = 0
  public var filesRead = 0
  public var filesSkipped: [FileNote] = []
  public var fileProblems: [FileNote] = []
  /// Bytes of the input files as stored (compressed or not).
  public var inputBytes: Int64 = 0
  /// Bytes of content after decompression.
  public var contentBytes: Int64 = 0
  public var linesRead: Int64 = 0
  public var rowsIndexed: Int64 = 0
  public var linesRejected: Int64 = 0
  public var rejectionsByReason: [String: Int64] = [:]
  public var parts: [Part] = []
  public var outputBytes: Int64 = 0
  public var seconds = 0.0

  /// `linesRead == rowsIndexed + linesRejected`, the invariant a scheduler can check.
  public var reconciles: Bool { linesRead == rowsIndexed + linesRejected }
}

/// One line that did not become a row.
public struct Rejection: Sendable {
  public var path: String
  public var offset: Int64
  public var reason: String
  public var explanation: String
}
