/// Everything one `sigtrail index` run did, reconciled: every line or record read is a row, a
/// rejection, a skipped record or a dropped duplicate; every file found is read, skipped with a
/// reason, or reported as a problem.
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

  /// CloudTrail records: read = indexed + rejected + skipped.
  public struct CloudTrailCounts: Sendable, Codable {
    public var files = 0
    public var recordsRead: Int64 = 0
    public var recordsIndexed: Int64 = 0
    public var recordsRejected: Int64 = 0
    /// Records deliberately not indexed, by reason (Insights events).
    public var recordsSkipped: [String: Int64] = [:]
    /// Log file integrity validation against the run's digest files (nil when it read none).
    public var validation: Validation?

    public var reconciles: Bool {
      recordsRead == recordsIndexed + recordsRejected + recordsSkipped.values.reduce(0, +)
    }
  }

  /// What the run's CloudTrail digests said of its log files.
  public struct Validation: Sendable, Codable {
    public var digests = 0
    public var verified = 0
    public var mismatched = 0
    public var noDigest = 0
    /// The CloudTrail files no digest read names, by path (the newest hour's are always among them).
    public var notCovered: [String] = []
    /// Files a digest names that were not among the inputs.
    public var missing = 0
    /// Digests whose successor expects another hash, or whose predecessor is not among the inputs.
    public var chainBreaks = 0
    /// Files a digest names that an earlier run had indexed: not read again, so not re-verified.
    public var indexedEarlier = 0
    /// Digests whose RSA signature was verified, was wrong, or could not be checked.
    public var signaturesVerified = 0
    public var signaturesInvalid = 0
    public var signaturesUnchecked = 0
  }

  public var filesFound = 0
  public var filesRead = 0
  /// Files the manifest says were indexed already, with the same size and time (or content).
  public var filesUnchanged = 0
  /// Files whose content changed since they were indexed: their old rows were removed first.
  public var filesChanged = 0
  /// Files an interrupted run had only partly committed: the rest was indexed.
  public var filesResumed = 0
  /// Rows removed from parts because their input changed.
  public var rowsRetracted: Int64 = 0
  /// Parts of an interrupted run that were never committed, removed before this run.
  public var interruptedPartsRemoved = 0
  public var filesSkipped: [FileNote] = []
  public var fileProblems: [FileNote] = []
  /// Bytes of the input files as stored (compressed or not).
  public var inputBytes: Int64 = 0
  /// Bytes of content after decompression.
  public var contentBytes: Int64 = 0
  /// S3 server access log lines.
  public var linesRead: Int64 = 0
  public var rowsIndexed: Int64 = 0
  public var linesRejected: Int64 = 0
  /// Rejections of lines and records, by reason code.
  public var rejectionsByReason: [String: Int64] = [:]
  public var cloudTrail = CloudTrailCounts()
  public var parts: [Part] = []
  public var outputBytes: Int64 = 0
  public var seconds = 0.0
  /// What reading `s3://` inputs took, when there were any.
  public var s3: S3Counts?
  /// With `--out s3://`: what was brought from S3 before the run and published after it.
  public var pulled: S3Output.Transfer?
  public var published: S3Output.Transfer?

  public struct S3Counts: Sendable, Codable {
    /// Objects the listings returned (before `--worker` slicing).
    public var objectsListed = 0
    /// `YYYY/`, `YYYY/MM/` or `YYYY/MM/DD/` prefixes not listed: outside `--since`/`--until`.
    public var prefixesPruned = 0
    public var getRequests = 0
    /// Requests sent again after throttling, a server error, a timeout or a reset.
    public var retries = 0
    public var bytesReceived: Int64 = 0
  }

  /// Lines read = rows indexed + lines rejected, and the CloudTrail counts add up likewise.
  public var reconciles: Bool { linesRead == rowsIndexed + linesRejected && cloudTrail.reconciles }
}

/// One line or record that did not become a row.
public struct Rejection: Sendable {
  public var path: String
  public var offset: Int64
  public var reason: String
  public var explanation: String
}
