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

  /// Throws when a worker of a fleet of another size holds its slice's lock: slices of different
  /// sizes overlap, so two such fleets at once would index the same files twice. Each worker
  /// checks after taking its own lock, so of two that start together at least one sees the other.
  /// Fleets of different sizes one after the other are fine: every worker reads the whole manifest.
  public static func refuseOtherFleets(directory: String, workers: Int) throws {
    guard let dir = opendir(directory) else { return }
    defer { closedir(dir) }
    while let entry = readdir(dir) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
      guard name.hasPrefix(".sigtrail-"), name.hasSuffix(".lock"),
        let of = name.dropLast(5).split(separator: "of").last.flatMap({ Int($0) }), of != workers,
        isHeld(directory: directory, name: name)
      else { continue }
      throw ShardError(
        "a fleet of \(of) workers is writing to \(directory) (\(name) is held); a fleet of \(workers) "
          + "would index some files twice beside it: wait for it to finish, or run with --workers \(of)")
    }
  }

  /// Whether some live process holds the lock `name` (tested without waiting).
  public static func isHeld(directory: String, name: String) -> Bool {
    let fd = open("\(directory)/\(name)", O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
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
    // Never through a symbolic link, and never anything but a regular file: the lock file is
    // truncated and written, so a link planted in its place must not aim that at another file.
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0o640)
    guard fd >= 0 else {
      let reason = errno == ELOOP ? "it is a symbolic link" : String(cString: strerror(errno))
      throw ShardError("cannot open lock file \(path): \(reason); remove it and run again")
    }
    var info = stat()
    guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
      close(fd)
      fd = -1
      throw ShardError("cannot use lock file \(path): it is not a regular file; remove it and run again")
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
