/// One indexed piece of an input: the whole file, or a byte range of a large plain file that
/// was cut into shares.
public struct InputPiece: Sendable, Equatable {
  public var path: String
  /// Size and modification time when the piece was read: a rerun skips the file while both match.
  public var size: Int64
  public var modifiedNanos: Int64
  public var range: Range<Int64>
  /// `sha256:<hex>` of the stored bytes of the range, or nil when reading stopped early.
  public var contentHash: String?
  /// `indexed`, `skipped` (not a log, with the reason in `note`) or `damaged` (read up to a problem).
  public var status: String
  public var note: String
  public var lines: Int64
  public var rows: Int64
  public var rejected: Int64
  /// An S3 object's ETag when it was read (nil for local files): a rerun that lists the same
  /// size and ETag under a newer time knows the object was rewritten with the same bytes.
  public var etag: String?

  public init(
    path: String, size: Int64, modifiedNanos: Int64, range: Range<Int64>, contentHash: String?, status: String,
    note: String = "", lines: Int64 = 0, rows: Int64 = 0, rejected: Int64 = 0, etag: String? = nil
  ) {
    self.etag = etag
    self.path = path
    self.size = size
    self.modifiedNanos = modifiedNanos
    self.range = range
    self.contentHash = contentHash
    self.status = status
    self.note = note
    self.lines = lines
    self.rows = rows
    self.rejected = rejected
  }
}

/// One part file, by its path relative to the output directory.
public struct PartRecord: Sendable, Equatable {
  public var table: String
  public var partition: String
  public var path: String
  public var rows: Int64
  public var bytes: Int64

  public init(table: String, partition: String, path: String, rows: Int64, bytes: Int64) {
    self.table = table
    self.partition = partition
    self.path = path
    self.rows = rows
    self.bytes = bytes
  }
}

/// A line of a manifest segment. A segment is one atomic commit: the pieces a worker finished
/// and the parts that hold their rows, or a rewrite of parts (retraction, compaction).
public enum ManifestEntry: Sendable, Equatable {
  case input(InputPiece)
  case part(PartRecord)
  /// `old`'s rows now live in `new` (nil: the part is gone). Inputs that had rows in `old` have
  /// them in `new`.
  case replace(old: String, new: String?)
  /// Forget every piece of an input (its rows were removed from the parts listed for it).
  case retract(path: String)
  /// An input's size or time changed but its content hash did not.
  case touch(path: String, size: Int64, modifiedNanos: Int64)
  /// A run that may write parts starts: committed before its first part, so that the next run
  /// can tell this run's uncommitted parts (safe to remove) from files it knows nothing about.
  case begin(run: String)
}
