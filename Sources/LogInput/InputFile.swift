#if canImport(Glibc)
  import Glibc
#endif

/// One input file found on disk.
public struct InputFile: Sendable, Equatable {
  public var path: String
  public var size: Int64
  /// Modification time in nanoseconds since the epoch: with the size, how a rerun tells an
  /// input it has already indexed.
  public var modifiedNanos: Int64
  /// An S3 object's ETag (nil for local files).
  public var etag: String?
  /// Device and inode, to read a file reached by two paths once.
  var id = InputDiscovery.DirectoryID(device: 0, inode: 0)

  public init(path: String, size: Int64, modifiedNanos: Int64) {
    self.path = path
    self.size = size
    self.modifiedNanos = modifiedNanos
  }
}

/// A problem with one input, located as precisely as the input allows.
public struct InputProblem: Error, Sendable, CustomStringConvertible {
  public var path: String
  /// Byte offset in the decompressed stream where the problem was found, if any.
  public var offset: Int64?
  public var reason: String
  /// Not damage: a file left out for a stated reason (a second path to a file already found).
  public var skipped: Bool

  public init(path: String, offset: Int64? = nil, reason: String, skipped: Bool = false) {
    self.path = path
    self.offset = offset
    self.reason = reason
    self.skipped = skipped
  }

  public var description: String {
    if let offset { return "\(path): offset \(offset): \(reason)" }
    return "\(path): \(reason)"
  }
}

/// How an input's bytes are stored, told by its first bytes rather than its name.
public enum Compression: String, Sendable {
  case none
  case gzip
  case zstd

  public static func detect(_ head: UnsafeRawBufferPointer) -> Compression {
    if head.count >= 2 && head[0] == 0x1F && head[1] == 0x8B { return .gzip }
    if head.count >= 4 && head[0] == 0x28 && head[1] == 0xB5 && head[2] == 0x2F && head[3] == 0xFD {
      return .zstd
    }
    return .none
  }
}

func errnoDescription() -> String { String(cString: strerror(errno)) }
