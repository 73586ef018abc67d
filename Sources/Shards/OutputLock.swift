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
  private let shared: Bool

  /// The lock of a whole-tree run; fleet workers hold it shared, so a whole-tree run and a
  /// fleet exclude each other.
  public static let mainLockName = ".sigtrail.lock"

  /// The lock of one fleet slice, or the main lock for a whole-tree run.
  public static func lockName(slice: (index: Int, of: Int)) -> String {
    slice.of > 1 ? ".sigtrail-\(slice.index)of\(slice.of).lock" : mainLockName
  }

  /// The lock a run id's run held (`...-s<I>of<N>` names a fleet slice).
  public static func lockName(forRunID run: String) -> String {
    guard let last = run.split(separator: "-").last, last.hasPrefix("s"),
      let of = last.dropFirst().split(separator: "o").last?.dropFirst(), let n = Int(of),
      let i = Int(last.dropFirst().prefix { $0.isNumber })
    else { return mainLockName }
    return lockName(slice: (i, n))
  }

  /// Whether some live process holds the lock `name` (tested without waiting).
  public static func isHeld(directory: String, name: String) -> Bool {
    let fd = open("\(directory)/\(name)", O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    if flock(fd, LOCK_EX | LOCK_NB) == 0 {
      flock(fd, LOCK_UN)
      return false
    }
    return true
  }

  /// Takes the lock (`shared`: alongside other shared holders) or throws naming the holder.
  public init(directory: String, name: String = ".sigtrail.lock", shared: Bool = false) throws {
    self.shared = shared
    try PartitionLayout.makeDirectories(directory)
    path = "\(directory)/\(name)"
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o640)
    guard fd >= 0 else {
      throw ShardError("cannot open lock file \(path): \(String(cString: strerror(errno)))")
    }
    if flock(fd, (shared ? LOCK_SH : LOCK_EX) | LOCK_NB) != 0 {
      let holder = Self.readHolder(fd)
      close(fd)
      fd = -1
      throw ShardError(
        "another sigtrail run\(holder.map { " (pid \($0))" } ?? "") is writing to \(directory); "
          + "wait for it to finish (its lock, \(path), disappears with it)")
    }
    if !shared {
      let record = Array("pid \(getpid())\n".utf8)
      _ = ftruncate(fd, 0)
      _ = record.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
    }
  }

  deinit { release() }

  public func release() {
    guard fd >= 0 else { return }
    if !shared { _ = ftruncate(fd, 0) }
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
