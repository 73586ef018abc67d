import LogBytes

#if canImport(Glibc)
  import Glibc
#endif

/// The manifest of an output directory: `OUT/_manifest/*.tsv`, one file per commit.
///
/// A commit is written under a hidden temporary name, fsynced, renamed and its directory fsynced,
/// so a segment is either all there or absent. Segments are replayed in name order (a commit
/// timestamp leads the name), and never rewritten, so several fleet workers can commit into one
/// directory without coordination: their names differ by run id.
public struct ManifestStore: Sendable {
  public let outputDirectory: String
  public var directory: String { outputDirectory + "/_manifest" }

  public init(outputDirectory: String) { self.outputDirectory = outputDirectory }

  /// Replays every committed segment.
  public func load() throws -> ManifestState {
    var state = ManifestState()
    for name in try segmentNames() {
      let path = directory + "/" + name
      guard let bytes = FileBytes.read(path, limit: .max) else {
        throw ManifestError("cannot read \(path): \(errnoText())")
      }
      state.apply(try ManifestFormat.decode(bytes: bytes, name: path), committedAt: Self.commitTime(ofSegment: name))
    }
    return state
  }

  /// Replays every segment that reads as complete, and names each one that does not (cut
  /// short, altered, unreadable) instead of stopping at the first: what `verify` reports.
  public func loadChecking() throws -> (state: ManifestState, segments: Int, damaged: [(path: String, reason: String)])
  {
    var state = ManifestState()
    var damaged: [(String, String)] = []
    let names = try segmentNames()
    for name in names {
      let path = directory + "/" + name
      guard let bytes = FileBytes.read(path, limit: .max) else {
        damaged.append((path, "cannot read: \(errnoText())"))
        continue
      }
      do {
        state.apply(try ManifestFormat.decode(bytes: bytes, name: path), committedAt: Self.commitTime(ofSegment: name))
      } catch {
        damaged.append((path, "\(error)"))
      }
    }
    return (state, names.count, damaged)
  }

  /// Wall-clock time in nanoseconds since the epoch: what a segment's name starts with.
  public static func nowNanos() -> Int64 {
    var t = timespec()
    clock_gettime(CLOCK_REALTIME, &t)
    return Int64(t.tv_sec) * 1_000_000_000 + Int64(t.tv_nsec)
  }

  /// When a segment was committed: its name starts with the time in nanoseconds.
  public static func commitTime(ofSegment name: String) -> Int64 {
    Int64(name.prefix { $0 != "-" }) ?? 0
  }

  /// Names of the committed segments, in commit order.
  public func segmentNames() throws -> [String] {
    guard let dir = opendir(directory) else {
      if errno == ENOENT { return [] }
      throw ManifestError("cannot open \(directory): \(errnoText())")
    }
    defer { closedir(dir) }
    var names: [String] = []
    while let entry = readdir(dir) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
        String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
      }
      if !name.hasPrefix("."), name.hasSuffix(".tsv") { names.append(name) }
    }
    return names.sorted()
  }

  /// Commits one segment atomically; `tag` makes its name unique (run id, worker, sequence).
  @discardableResult
  public func commit(_ entries: [ManifestEntry], tag: String) throws -> String {
    try makeDirectory(directory)
    let stamp = String(Self.nowNanos())
    let name = "\(String(repeating: "0", count: max(0, 20 - stamp.count)))\(stamp)-\(tag).tsv"
    let final = directory + "/" + name
    let temporary = directory + "/." + name + ".tmp"
    try writeDurably(temporary, ManifestFormat.encode(entries))
    guard rename(temporary, final) == 0 else {
      let message = errnoText()
      unlink(temporary)
      throw ManifestError("cannot rename \(temporary): \(message)")
    }
    try syncDirectory(directory)
    return name
  }

  /// The list of replaced parts still on disk (`retained.csv` beside the segments): a header,
  /// then one part path (relative to the output directory) per line. Readers that list the
  /// directory leave these out.
  public static let retainedListName = "retained.csv"
  static let retainedListHeader = "part"

  /// The part paths the retained list holds (none when it is absent or unreadable).
  public func retainedList() -> Set<String> {
    guard let text = readFile(directory + "/" + Self.retainedListName) else { return [] }
    return Set(text.split(separator: "\n").dropFirst().map(String.init))
  }

  /// Replaces the retained list atomically.
  public func writeRetainedList(_ names: Set<String>) throws {
    try makeDirectory(directory)
    let final = directory + "/" + Self.retainedListName
    let temporary = directory + "/." + Self.retainedListName + ".tmp"
    try writeDurably(temporary, ([Self.retainedListHeader] + names.sorted()).map { $0 + "\n" }.joined())
    guard rename(temporary, final) == 0 else {
      let message = errnoText()
      unlink(temporary)
      throw ManifestError("cannot rename \(temporary): \(message)")
    }
  }

  /// Removes temporary segments a killed run left behind.
  public func removeTemporaries() {
    guard let dir = opendir(directory) else { return }
    defer { closedir(dir) }
    while let entry = readdir(dir) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
        String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
      }
      if name.hasPrefix("."), name.hasSuffix(".tmp") { unlink(directory + "/" + name) }
    }
  }
}

func errnoText() -> String { String(cString: strerror(errno)) }

func readFile(_ path: String) -> String? {
  FileBytes.read(path, limit: .max).map { String(decoding: $0, as: UTF8.self) }
}

func writeDurably(_ path: String, _ text: String) throws {
  let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640)
  guard fd >= 0 else { throw ManifestError("cannot create \(path): \(errnoText())") }
  defer { close(fd) }
  let bytes = Array(text.utf8)
  var done = 0
  while done < bytes.count {
    let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + done, bytes.count - done) }
    if n < 0 {
      if errno == EINTR { continue }
      throw ManifestError("cannot write \(path): \(errnoText())")
    }
    done += n
  }
  guard fsync(fd) == 0 else { throw ManifestError("cannot fsync \(path): \(errnoText())") }
}

/// fsync on a directory makes a rename in it durable.
func syncDirectory(_ path: String) throws {
  let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
  guard fd >= 0 else { throw ManifestError("cannot open \(path): \(errnoText())") }
  defer { close(fd) }
  guard fsync(fd) == 0 else { throw ManifestError("cannot fsync \(path): \(errnoText())") }
}

/// `mkdir -p`.
func makeDirectory(_ path: String) throws {
  var current = path.hasPrefix("/") ? "" : "."
  for component in path.split(separator: "/") {
    current += "/" + component
    if mkdir(current, 0o750) != 0 && errno != EEXIST {
      throw ManifestError("cannot create \(current): \(errnoText())")
    }
  }
}
