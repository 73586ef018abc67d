import AccessLog
import CloudTrail
import Dispatch
import LogBytes
import LogInput
import Manifest
import S3Store
import Shards
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

public struct IndexOptions: Sendable {
  public var inputs: [String]
  public var outputDirectory: String
  public var runID: String
  /// When the run started (microseconds since the epoch): the `rejects` partition and timestamp.
  public var runStartMicros: Int64 = IndexOptions.nowMicros()
  /// Worker threads; each reads, tokenizes and writes its own parts.
  public var threads = IndexOptions.defaultThreads
  /// Plain files larger than this are cut into line-aligned ranges that workers share.
  public var splitBytes: Int64 = 64 << 20
  /// Small files are grouped into work units of about this many bytes, so a tree of millions
  /// of KB-sized deliveries costs one queue step per unit, not per file.
  public var unitBytes: Int64 = 16 << 20
  public var lineReader = LineReaderOptions()
  public var shards = ShardOptions()
  /// This process's slice of the inputs, for a fleet of `of` independent processes (Kubernetes
  /// indexed jobs, AWS Batch or Slurm arrays): a file belongs to slice `hash(path) % of`.
  public var slice: (index: Int, of: Int) = (0, 1)
  /// Each worker commits its finished inputs and their parts to the manifest after about this
  /// much content: a killed run loses at most this much work per worker.
  public var checkpointBytes: Int64 = 1 << 30
  /// How `s3://` inputs are reached; nil: from the environment and the default profile.
  public var s3: S3Settings?
  /// Fetched-but-unread bytes of `s3://` objects, at most (see `ObjectPrefetcher`).
  public var s3BufferBytes: Int64 = 256 << 20
  /// CloudTrail's public keys (fingerprint → DER), to verify digest signatures.
  public var cloudTrailPublicKeys: [String: [UInt8]]?
  /// Date prefixes of `s3://` listings outside this window (microseconds) are not listed.
  public var listSinceMicros: Int64?
  public var listUntilMicros: Int64?
  /// How long parts a retraction or compaction replaced stay for readers that listed them
  /// (nanoseconds); 0 deletes them at the commit.
  public var retainNanos: Int64 = IndexOptions.defaultRetainNanos
  /// At the commit: a reader that globs the directory (DuckDB, Athena, Spark) would count the
  /// rows of a retained part twice, beside its replacement, until the next run removed it.
  public static let defaultRetainNanos: Int64 = 0

  public init(inputs: [String], outputDirectory: String, runID: String) {
    self.inputs = inputs
    self.outputDirectory = outputDirectory
    self.runID = runID
  }

  public static var defaultThreads: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

  public static func nowMicros() -> Int64 {
    var t = timespec()
    clock_gettime(CLOCK_REALTIME, &t)
    return Int64(t.tv_sec) * 1_000_000 + Int64(t.tv_nsec) / 1000
  }
}

/// What an indexing run tells while it works; called from worker threads.
public protocol IndexObserver: Sendable {
  func rejected(_ rejection: Rejection)
  func fileNote(_ note: IndexSummary.FileNote, skipped: Bool)
  func progress(_ progress: IndexProgress)
}

public struct IndexProgress: Sendable {
  public var filesDone = 0
  public var filesTotal = 0
  public var contentBytes: Int64 = 0
  public var rows: Int64 = 0
  public var rejected: Int64 = 0
  /// Stored (possibly compressed) bytes read so far and planned in all: the basis of an ETA.
  public var storedBytes: Int64 = 0
  public var storedBytesTotal: Int64 = 0
}

/// The indexing run: discover inputs, cut them into work units, and let `threads` workers read
/// each file as access-log lines or as a CloudTrail document and write their own parts. Rows do
/// not depend on the thread count; part boundaries do.
public struct IndexJob: Sendable {
  public let options: IndexOptions

  public init(options: IndexOptions) { self.options = options }

  struct Item: Sendable {
    var file: Int
    /// For a share of a large plain file; nil for the whole file.
    var range: Range<Int64>?
    var isFirstShare: Bool { (range?.lowerBound ?? 0) == 0 }
  }

  public func run(observer: some IndexObserver) throws -> IndexSummary {
    var summary = IndexSummary()
    let store = ManifestStore(outputDirectory: options.outputDirectory)
    store.removeTemporaries()
    let state = try store.load()
    summary.interruptedPartsRemoved = try OrphanSweep(options: options, state: state).run()
    var (found, problems) = InputDiscovery.discover(options.inputs.filter { !S3URL.isS3($0) })
    let remote = try RemoteInputs(options: options)
    defer { remote?.session.shutdown() }
    if let remote {
      found += remote.files
      problems += remote.problems
      summary.s3 = IndexSummary.S3Counts(objectsListed: remote.files.count, prefixesPruned: remote.pruned)
    }
    let files =
      options.slice.of > 1
      ? found.filter { Self.slice(of: $0.path, count: options.slice.of) == options.slice.index } : found
    summary.filesFound = files.count
    for p in problems {
      let note = IndexSummary.FileNote(path: p.path, offset: p.offset, reason: p.reason)
      if p.skipped {
        summary.filesSkipped.append(note)
      } else {
        summary.fileProblems.append(note)
      }
      observer.fileNote(note, skipped: p.skipped)
    }
    // Committed parts that are gone (an operator's rm, a lifecycle rule, a bad sync): every input
    // that had rows in one is indexed again from its source, its rows in the surviving parts
    // retracted first, so the tables end with the rows of an untouched run.
    let lost = Self.inputsOfMissingParts(state, outputDirectory: options.outputDirectory)
    let present = lost.isEmpty ? [] : Set(files.map(\.path))
    for (path, part) in lost.sorted(by: { $0.key < $1.key })
    where !present.contains(path)
      && (options.slice.of == 1 || Self.slice(of: path, count: options.slice.of) == options.slice.index)
    {
      let note = IndexSummary.FileNote(
        path: path, offset: nil,
        reason: "its rows were in \(part), which is missing, and it is not among this run's inputs: rows lost")
      summary.fileProblems.append(note)
      observer.fileNote(note, skipped: false)
    }
    // What the manifest already holds: unchanged files are not read again, interrupted ones
    // resume where their committed pieces end, changed ones lose their old rows first.
    var plannedRanges: [Int: [Range<Int64>]] = [:]
    var changed: [String] = []
    var touches: [ManifestEntry] = []
    for (i, file) in files.enumerated() {
      guard let known = state.inputs[file.path] else { continue }
      if let part = lost[file.path] {
        let note = IndexSummary.FileNote(
          path: file.path, offset: nil, reason: "its rows were in \(part), which is missing: indexed again")
        summary.fileProblems.append(note)
        observer.fileNote(note, skipped: false)
        summary.filesChanged += 1
        changed.append(file.path)
        continue
      }
      if known.size == file.size && known.modifiedNanos == file.modifiedNanos {
        let missing = known.missingRanges()
        if missing.isEmpty {
          summary.filesUnchanged += 1
          plannedRanges[i] = []
        } else {
          summary.filesResumed += 1
          plannedRanges[i] = missing
        }
      } else if known.size == file.size, let etag = file.etag, known.etag == etag {
        // Rewritten with the same bytes (same ETag): only the time changed.
        summary.filesUnchanged += 1
        plannedRanges[i] = []
        touches.append(.touch(path: file.path, size: file.size, modifiedNanos: file.modifiedNanos))
      } else if known.size == file.size, let hash = known.contentHash, !S3URL.isS3(file.path),
        ContentHasher.hash(path: file.path, range: 0..<file.size) == hash
      {
        summary.filesUnchanged += 1
        plannedRanges[i] = []
        touches.append(.touch(path: file.path, size: file.size, modifiedNanos: file.modifiedNanos))
      } else {
        summary.filesChanged += 1
        changed.append(file.path)
      }
    }
    if !touches.isEmpty { try store.commit(touches, tag: "\(options.runID)-touch") }
    var entries: [WorkPlan.Entry] = []
    for (i, file) in files.enumerated() {
      if let reason = InputClassifier.skipReason(forPath: file.path) {
        let note = IndexSummary.FileNote(path: file.path, offset: nil, reason: reason)
        summary.filesSkipped.append(note)
        summary.inputBytes += file.size
        observer.fileNote(note, skipped: true)
        continue
      }
      func share(_ range: Range<Int64>?) {
        let bytes = range.map { $0.upperBound - $0.lowerBound } ?? file.size
        entries.append(
          WorkPlan.Entry(
            item: Item(file: i, range: range), cost: WorkPlan.cost(storedBytes: bytes, path: file.path),
            isShare: true))
      }
      if let ranges = plannedRanges[i] {
        // Resuming: only the ranges no committed piece covers (whole files are one range).
        let plain = Self.isPlain(file.path)
        for range in ranges {
          var start = range.lowerBound
          repeat {
            let end = min(range.upperBound, start + options.splitBytes)
            share(range == 0..<file.size && !plain ? nil : start..<end)
            start = end
          } while start < range.upperBound
        }
        continue
      }
      if file.size > options.splitBytes && Self.isPlain(file.path) {
        var start: Int64 = 0
        while start < file.size {
          let end = min(file.size, start + options.splitBytes)
          share(start..<end)
          start = end
        }
        continue
      }
      entries.append(
        WorkPlan.Entry(
          item: Item(file: i, range: nil), cost: WorkPlan.cost(storedBytes: file.size, path: file.path),
          isShare: false))
    }
    let units = WorkPlan(entries, threads: options.threads, unitBytes: options.unitBytes).units
    if !units.isEmpty || !changed.isEmpty {
      try store.commit([.begin(run: options.runID)], tag: "\(options.runID)-begin")
    }
    if !changed.isEmpty {
      summary.rowsRetracted = try Retraction(options: options, state: state, store: store).retract(changed)
    }

    let plannedBytes = units.joined().reduce(Int64(0)) { total, item in
      total + (item.range.map { $0.upperBound - $0.lowerBound } ?? files[item.file].size)
    }
    let shared = SharedRun(
      filesTotal: files.count - summary.filesSkipped.count - summary.filesUnchanged, storedBytesTotal: plannedBytes)
    let workers = max(1, min(options.threads, units.count))
    let job = self
    let plan = units
    // Digests first, so that each log file is checked as it is indexed.
    // (None when there is nothing to read: a rerun that finds nothing new fetches nothing.)
    let digests =
      plan.isEmpty
      ? DigestCatalog()
      : DigestCatalog.load(
        found, reader: LineReader(options: options.lineReader), publicKeys: options.cloudTrailPublicKeys
      ) { file in
        remote?.openObject(file.path)
      }
    for p in digests.problems {
      let note = IndexSummary.FileNote(path: p.path, offset: nil, reason: p.reason)
      summary.fileProblems.append(note)
      observer.fileNote(note, skipped: false)
    }
    let fetcher = remote?.prefetcher(files: files, plan: plan, options: options)
    let fetching = fetcher?.start()
    DispatchQueue.concurrentPerform(iterations: workers) { k in
      let worker = Worker(
        job: job, index: k, files: files, observer: observer, shared: shared, fetcher: fetcher, digests: digests)
      do {
        while let next = shared.nextUnit(), next < plan.count, !shared.failed {
          for item in plan[next] {
            try worker.process(item)
            try worker.checkpointIfDue()
          }
        }
        try worker.commit()
      } catch {
        shared.fail(error)
      }
      shared.store(worker.summary, from: k)
    }
    if let fetcher, let fetching {
      fetcher.cancel()
      Blocking.run { await fetching.value }
      let c = fetcher.counters.withLock { $0 }
      summary.s3?.getRequests = c.requests
      summary.s3?.bytesReceived = c.bytes
      summary.s3?.retries = remote?.session.retryCount ?? 0
    }
    if let error = shared.error { throw error }
    for part in shared.summaries() { summary.merge(part) }
    if !digests.isEmpty {
      var v = summary.cloudTrail.validation ?? IndexSummary.Validation()
      v.digests = digests.digests.count
      for d in digests.digests {
        switch d.signatureState {
        case .verified: v.signaturesVerified += 1
        case .invalid: v.signaturesInvalid += 1
        case .notChecked: v.signaturesUnchecked += 1
        }
      }
      // Files a digest names that an earlier run indexed are not read again, so not re-hashed.
      let unchanged = files.indices.filter { plannedRanges[$0]?.isEmpty == true }.map { files[$0].path }
      v.indexedEarlier = digests.named(unchanged)
      for p in digests.chainAndMissing(found: Set(found.map(\.path))) {
        if p.reason.hasSuffix(": missing") { v.missing += 1 } else { v.chainBreaks += 1 }
        let note = IndexSummary.FileNote(path: p.path, offset: nil, reason: p.reason)
        summary.fileProblems.append(note)
        observer.fileNote(note, skipped: false)
      }
      v.notCovered.sort()
      summary.cloudTrail.validation = v
    }
    summary.parts.sort { $0.path < $1.path }
    summary.filesSkipped.sort { $0.path < $1.path }
    summary.fileProblems.sort { $0.path < $1.path }
    return summary
  }

  /// `path` relative to the output directory (parts are recorded so, so the directory can move).
  static func relativePath(_ path: String, to output: String) -> String {
    let prefix = output.hasSuffix("/") ? output : output + "/"
    return path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path
  }

  /// Inputs with rows in a committed part that is not on disk, each with one such part.
  static func inputsOfMissingParts(_ state: ManifestState, outputDirectory: String) -> [String: String] {
    let missing = Set(state.parts.keys.filter { access("\(outputDirectory)/\($0)", F_OK) != 0 })
    guard !missing.isEmpty else { return [:] }
    var lost: [String: String] = [:]
    for path in state.inputs.keys {
      if let part = state.parts(of: path).sorted().first(where: missing.contains) { lost[path] = part }
    }
    return lost
  }

  /// CloudTrail's public keys from `aws cloudtrail list-public-keys` output (fingerprint → DER).
  public static func publicKeys(json: [UInt8]) -> [String: [UInt8]]? { DigestCatalog.publicKeys(json: json) }

  /// The slice a path belongs to: FNV-1a of its bytes, so every worker of a fleet agrees
  /// without talking to the others, whatever machine it runs on.
  public static func slice(of path: String, count: Int) -> Int {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in path.utf8 {
      h ^= UInt64(b)
      h = h &* 0x0000_0100_0000_01b3
    }
    return Int(h % UInt64(count))
  }

  static func isPlain(_ path: String) -> Bool {
    // An S3 object is fetched whole (in parallel ranges) and read by one worker.
    guard !S3URL.isS3(path) else { return false }
    let fd = PathText.openFile(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var head = [UInt8](repeating: 0, count: 4)
    let n = pread(fd, &head, 4, 0)
    return head.withUnsafeBytes { Compression.detect(UnsafeRawBufferPointer(rebasing: $0[0..<max(0, n)])) } == .none
  }
}

/// State the workers share: the next unit, the first error, progress and their summaries.
final class SharedRun: Sendable {
  private let next = Mutex(0)
  private let firstError = Mutex<(any Error)?>(nil)
  private let results = Mutex<[Int: IndexSummary]>([:])
  let progressState: Mutex<IndexProgress>

  init(filesTotal: Int, storedBytesTotal: Int64) {
    progressState = Mutex(IndexProgress(filesTotal: filesTotal, storedBytesTotal: storedBytesTotal))
  }

  func nextUnit() -> Int? {
    next.withLock { n in
      defer { n += 1 }
      return n
    }
  }

  var failed: Bool { firstError.withLock { $0 != nil } }
  var error: (any Error)? { firstError.withLock { $0 } }

  func fail(_ error: any Error) {
    firstError.withLock { if $0 == nil { $0 = error } }
  }

  func store(_ summary: IndexSummary, from worker: Int) {
    results.withLock { $0[worker] = summary }
  }

  /// Worker summaries in worker order, so merging is reproducible.
  func summaries() -> [IndexSummary] {
    results.withLock { r in r.keys.sorted().map { r[$0]! } }
  }

  func advance(files: Int, bytes: Int64, stored: Int64, rows: Int64, rejected: Int64) -> IndexProgress {
    progressState.withLock { p in
      p.filesDone += files
      p.storedBytes += stored
      p.contentBytes += bytes
      p.rows += rows
      p.rejected += rejected
      return p
    }
  }
}

extension IndexSummary {
  /// Adds one worker's counts.
  mutating func merge(_ o: IndexSummary) {
    filesRead += o.filesRead
    filesSkipped += o.filesSkipped
    fileProblems += o.fileProblems
    inputBytes += o.inputBytes
    contentBytes += o.contentBytes
    linesRead += o.linesRead
    rowsIndexed += o.rowsIndexed
    linesRejected += o.linesRejected
    for (k, v) in o.rejectionsByReason { rejectionsByReason[k, default: 0] += v }
    cloudTrail.files += o.cloudTrail.files
    cloudTrail.recordsRead += o.cloudTrail.recordsRead
    cloudTrail.recordsIndexed += o.cloudTrail.recordsIndexed
    cloudTrail.recordsRejected += o.cloudTrail.recordsRejected
    if let v = o.cloudTrail.validation {
      var mine = cloudTrail.validation ?? IndexSummary.Validation()
      mine.verified += v.verified
      mine.mismatched += v.mismatched
      mine.noDigest += v.noDigest
      mine.notCovered += v.notCovered
      cloudTrail.validation = mine
    }
    for (k, v) in o.cloudTrail.recordsSkipped { cloudTrail.recordsSkipped[k, default: 0] += v }
    parts += o.parts
    outputBytes += o.outputBytes
    filesUnchanged += o.filesUnchanged
    filesChanged += o.filesChanged
    filesResumed += o.filesResumed
  }
}
