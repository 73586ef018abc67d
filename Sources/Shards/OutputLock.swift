#if canImport(Glibc)
  import Glibc
#endif

/// An exclusive lock on an output directory for one indexer (or one slice of a fleet), so two
/// runs never write the same shards at once.
///
/// It is an advisory `flock` on `OUT/.sigtrail[-slice].lock`: the kernel drops it when the holder
/// exits, even by SIGKILL, so a lock left by a dead run is never in the way (the file stays, the
/// lock does not). The file records the holder's pid for the refusal message.
public final class OutputLock {
  public let path: String
  private var fd: Int32

  /// Takes the lock or throws naming the process that holds it.
  public init(directory: String, name: String = ".sigtrail.lock") throws {
    try PartitionLayout.makeDirectories(directory)
    path = "\(directory)/\(name)"
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o640)
    guard fd >= 0 else {
      throw ShardError("cannot open lock file \(path): \(String(cString: strerror(errno)))")
    }
    if flock(fd, LOCK_EX | LOCK_NB) != 0 {
      let holder = Self.readHolder(fd)
      close(fd)
      fd = -1
      throw ShardError(
        "another sigtrail run\(holder.map { " (pid \($0))" } ?? "") is writing to \(directory); "
          + "wait for it to finish (its lock, \(path), disappears with it)")
    }
    let record = Array("pid \(getpid())\n".utf8)
    _ = ftruncate(fd, 0)
    _ = record.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
  }

  deinit { release() }

  public func release() {
    guard fd >= 0 else { return }
    _ = ftruncate(fd, 0)
    close(fd)
    fd = -1
  }

  static func readHolder(_ fd: Int32) -> Int32? {
    var buffer = [UInt8](repeating: 0, count: 64)
    let n = pread(fd, &buffer, buffer.count, 0)
    guard n > 4 else { return nil }
    let text = String(decoding: buffer[0..<n], as: UTF8.self)
    guard text.hasPrefix("pid ") else { return nil }
    return Int32(text.dropFirst(4).prefix { $0.isNumber })
  }
}
