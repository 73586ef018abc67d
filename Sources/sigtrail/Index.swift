import ArgumentParser
import Foundation
import Pipeline
import S3Store
import Shards

struct Index: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Index S3 server access logs and CloudTrail archives into Parquet shards.",
    discussion: """
      Reads every file under PATH... (directories recursively, hidden files skipped) and every \
      object under s3://bucket/prefix/ URLs (listed in parallel; credentials from the AWS chain), plain, \
      gzip or zstd (told by content, not by name). Text files are S3 server access logs; JSON \
      files are CloudTrail: `{"Records":[...]}` archives, arrays of records, JSON Lines exports \
      and EventBridge events. CloudTrail digest and Insights files and other AWSLogs services \
      are recognised and skipped with a reason. Two tables are written:

        OUT/s3_access/dt=YYYY-MM-DD/part-<run>-<n>.parquet   (by request date, UTC)
        OUT/cloudtrail/dt=YYYY-MM-DD/part-<run>-<n>.parquet  (by event date, UTC)

      Rows are sorted by time within each part; parts appear under their final name only when \
      complete. CloudTrail can deliver an event twice (same eventID): every delivery is kept, \
      with its own source_file and source_offset, so queries count DISTINCT event_id.

      Every line becomes a row or a rejection. Rejections are reported on standard error as \
      FILE:OFFSET: REASON (OFFSET is the byte offset of the line in the decompressed file) and \
      counted in the summary, which always reconciles: lines read = rows indexed + lines rejected.

      Exit status, for schedulers: 0 the run completed and every line and record was indexed \
      (files skipped for a stated reason, such as digests, do not count against it); 2 the run \
      completed but rejected lines or records or met damaged or unreadable files, all reported \
      (1 instead with --strict); 1 the run could not complete (no input, output not writable, \
      another run holds the output directory); 64 a usage error.

      Example:
        sigtrail index Samples/ --out shards
        duckdb -c "SELECT credential_akid, count(*) FROM 'shards/s3_access/*/*.parquet' \
      WHERE presign_version IS NOT NULL GROUP BY 1"
      """)

  @Argument(help: "Log files or directories to index, or s3://bucket/prefix/ URLs.")
  var paths: [String]

  @OptionGroup(title: "S3 inputs")
  var s3: S3Options

  @Option(
    help: ArgumentHelp(
      "The JSON `aws cloudtrail list-public-keys` prints: verify the RSA signatures of CloudTrail digests read from s3:// (kept in their object metadata).",
      valueName: "file"))
  var cloudtrailPublicKeys: String?

  @Option(
    help: ArgumentHelp(
      "For s3:// inputs: do not list YYYY/, YYYY/MM/ or YYYY/MM/DD/ prefixes wholly before this time (a day of margin is kept; rows are not filtered).",
      valueName: "time"),
    transform: OptionValue.time)
  var since: Int64?

  @Option(
    help: ArgumentHelp("For s3:// inputs: do not list date prefixes wholly after this time.", valueName: "time"),
    transform: OptionValue.time)
  var until: Int64?

  @Option(
    name: [.short, .customLong("out")],
    help: "Output directory for the shards (created if missing), or s3://bucket/prefix/ to publish them there.")
  var out: String

  @Option(
    help: ArgumentHelp(
      "With --out s3://: the local copy the run works in (kept between runs, so a rerun downloads nothing; default ~/.cache/sigtrail/s3/BUCKET/PREFIX).",
      valueName: "dir"))
  var staging: String?

  @Option(
    help:
      "zstd compression level for Parquet pages (1-19). 1 writes nearly the same size as 3 on access logs, faster; higher levels suit archives."
  )
  var zstdLevel: Int32 = 1

  @Flag(
    help:
      "Write only PLAIN and dictionary encodings, no DELTA_*: for Spark before 3.3 and Iceberg's vectorized Spark reader. Shards come out about 2% larger."
  )
  var plainEncodings = false

  @Option(help: "Rows per part file; each part is sorted by request time as a whole.")
  var partRows = 262_144

  @Option(help: "Rows per row group inside a part (each row group covers one time window).")
  var rowGroupRows = 65_536

  @Option(help: "Longest line accepted, in bytes; longer lines are rejected and skipped.")
  var maxLineBytes = 1 << 20

  @Option(help: "Largest decompressed JSON file accepted, in MiB; a larger one is reported and skipped.")
  var maxJsonMib = 256

  @Option(
    parsing: .unconditional, help: "How many rejections to list on standard error (all are counted; -1 lists all).")
  var showRejections = 20

  @Option(help: "Worker threads (default: all cores). Rows do not depend on it; part files do.")
  var threads: Int?

  @Option(help: "Plain files larger than this many MiB are cut into line-aligned shares read in parallel.")
  var splitMib = 64

  @Option(
    help:
      "Each worker commits its finished inputs to the manifest after about this many MiB of content; a killed run redoes at most this much per worker."
  )
  var checkpointMib = 1024

  @Option(help: "This process's slice of the inputs (0-based), with --workers: for a fleet of indexers.")
  var worker = 0

  @Option(
    help:
      "How many processes share the inputs. Each file goes to exactly one, by a hash of its path, so N workers given the same PATHs together write what one run would (e.g. a Kubernetes indexed job: --worker $JOB_COMPLETION_INDEX --workers N)."
  )
  var workers = 1

  @OptionGroup var retention: RetainOption

  @Flag(help: "Print the run summary as JSON on standard output (for schedulers and scripts).")
  var json = false

  @Flag(help: "Fail (exit 1) when any line or record is rejected or any file is damaged, instead of exit 2.")
  var strict = false

  @Flag(name: .shortAndLong, help: "Print nothing on standard error but problems.")
  var quiet = false

  func validate() throws {
    guard (1...19).contains(zstdLevel) else { throw ValidationError("--zstd-level must be 1...19") }
    if let threads, !(1...1024).contains(threads) { throw ValidationError("--threads must be 1...1024") }
    guard checkpointMib >= 1 else { throw ValidationError("--checkpoint-mib must be at least 1") }
    guard splitMib >= 1 else { throw ValidationError("--split-mib must be at least 1") }
    guard workers >= 1, (0..<workers).contains(worker) else {
      throw ValidationError("--worker must be in 0..<--workers (got \(worker) of \(workers))")
    }
    guard partRows >= 1 else { throw ValidationError("--part-rows must be at least 1") }
    guard rowGroupRows >= 1 else { throw ValidationError("--row-group-rows must be at least 1") }
    guard maxLineBytes >= 1024 else { throw ValidationError("--max-line-bytes must be at least 1024") }
    guard (1...65536).contains(maxJsonMib) else { throw ValidationError("--max-json-mib must be 1...65536") }
  }

  func run() throws {
    MallocTuning.applyForIndexing()
    let started = Date()
    let runID = Self.makeRunID(started) + (workers > 1 ? "-s\(worker)of\(workers)" : "")
    // An S3 output is worked on through a local copy, under a lease no other run can take.
    var remoteOut: (output: S3Output, lease: S3Lease, session: S3Session)?
    if let url = S3URL(out) {
      var opened: S3Session?
      try orFail(
        cleanup: { opened?.shutdown() },
        body: {
          let session = try S3Session(settings: s3.settings)
          opened = session
          // Each fleet worker works through its own copy and publishes its own parts.
          let fleet = workers > 1 ? ".s\(worker)of\(workers)" : ""
          var output = S3Output(
            url: url, staging: staging ?? S3Cache.directory(for: url) + fleet, client: session.client)
          output.partBytes = s3.s3UploadPartMib << 20
          output.retainNanos = retention.retain.nanos
          let holder = "\(ProcessInfo.processInfo.hostName) pid \(getpid()) run \(runID)"
          let lease = try Blocking.run { [output, workers] in
            try await Self.fleetLease(
              output: output, client: session.client, holder: holder, workers: workers, fleet: fleet)
          }
          remoteOut = (output, lease, session)
        })
    }
    defer {
      if let (_, lease, session) = remoteOut {
        Blocking.run { await lease.release() }
        session.shutdown()
      }
    }
    var pulled: S3Output.Transfer?
    if let output = remoteOut?.output {
      pulled = try orFail("cannot bring \(out) to \(output.staging)") { try output.pull() }
    }
    let out = remoteOut?.output.staging ?? self.out
    var options = IndexOptions(inputs: paths, outputDirectory: out, runID: runID)
    options.slice = (worker, workers)
    options.runStartMicros = Int64(started.timeIntervalSince1970 * 1_000_000)
    options.threads = threads ?? IndexOptions.defaultThreads
    options.splitBytes = Int64(splitMib) << 20
    options.checkpointBytes = Int64(checkpointMib) << 20
    options.retainNanos = retention.retain.nanos
    options.shards.zstdLevel = zstdLevel
    options.shards.deltaEncodings = !plainEncodings
    options.shards.partRows = partRows
    options.shards.rowGroupRows = rowGroupRows
    options.lineReader.maxLineLength = maxLineBytes
    options.lineReader.maxWholeBytes = maxJsonMib << 20
    options.s3 = s3.settings
    options.s3BufferBytes = Int64(s3.s3BufferMib) << 20
    if let path = cloudtrailPublicKeys {
      guard let data = FileManager.default.contents(atPath: path),
        let keys = IndexJob.publicKeys(json: Array(data)), !keys.isEmpty
      else {
        Self.printError("sigtrail: \(path): not the output of `aws cloudtrail list-public-keys` (no PublicKeyList)")
        throw ExitCode(64)
      }
      options.cloudTrailPublicKeys = keys
    }
    options.listSinceMicros = since
    options.listUntilMicros = until
    let observer = ConsoleObserver(
      showRejections: showRejections, showProgress: !quiet && !json && isatty(STDERR_FILENO) == 1)
    var locks: [OutputLock] = []
    try orFail(
      cleanup: { for lock in locks { lock.release() } },
      body: {
        // A fleet worker shares the main lock with its peers and holds its slice's alone; a
        // whole-tree run holds the main lock alone, so the two never overlap.
        if workers > 1 { locks.append(try OutputLock(directory: out, name: OutputLock.mainLockName, shared: true)) }
        locks.append(try OutputLock(directory: out, name: OutputLock.lockName(slice: (worker, workers))))
        if workers > 1 { try OutputLock.refuseOtherFleets(directory: out, workers: workers) }
      })
    defer { for lock in locks { lock.release() } }
    var summary = try orFail("index failed", cleanup: observer.endProgress) {
      try IndexJob(options: options).run(observer: observer)
    }
    observer.endProgress()
    summary.pulled = pulled
    if let output = remoteOut?.output {
      summary.published = try orFail(
        "indexed into \(out), but publishing to \(self.out) failed (the next run publishes it)"
      ) { try output.publish() }
    }
    summary.seconds = Date().timeIntervalSince(started)
    if json {
      try printJSONSummary(summary)
    }
    if !quiet { Self.printError(Self.describe(summary, listed: observer.listed)) }
    if summary.filesFound == 0 {
      Self.printError("sigtrail: no input files found under \(paths.joined(separator: " "))")
      throw ExitCode.failure
    }
    let rejected = summary.linesRejected + summary.cloudTrail.recordsRejected
    if rejected > 0 || !summary.fileProblems.isEmpty {
      if strict {
        Self.printError(
          "sigtrail: --strict: \(rejected) rejections, \(summary.fileProblems.count) damaged or unreadable files")
        throw ExitCode.failure
      }
      throw ExitCode(Self.completedWithRejections)
    }
  }

  /// Exit status of a run that completed but rejected lines or met damaged files.
  static let completedWithRejections: Int32 = 2

  static func describe(_ s: IndexSummary, listed: Int) -> String {
    var lines: [String] = []
    let mb = Double(s.contentBytes) / 1_048_576
    let rate = s.seconds > 0 ? mb / s.seconds : 0
    lines.append(
      "files: \(s.filesFound) found, \(s.filesRead) read, \(s.filesSkipped.count) skipped, \(s.fileProblems.count) with problems"
    )
    lines.append(
      "access-log lines: \(s.linesRead) read = \(s.rowsIndexed) indexed + \(s.linesRejected) rejected")
    var manifest: [String] = []
    if s.filesUnchanged > 0 { manifest.append("\(s.filesUnchanged) unchanged since the last run (not read again)") }
    if s.filesResumed > 0 { manifest.append("\(s.filesResumed) resumed after an interrupted run") }
    if s.filesChanged > 0 {
      manifest.append("\(s.filesChanged) changed since indexed (\(s.rowsRetracted) old rows removed, then re-indexed)")
    }
    if s.interruptedPartsRemoved > 0 {
      manifest.append("\(s.interruptedPartsRemoved) replaced or uncommitted parts removed")
    }
    if !manifest.isEmpty { lines.append("manifest: " + manifest.joined(separator: "; ")) }
    let ct = s.cloudTrail
    if ct.files > 0 {
      let skipped = ct.recordsSkipped.values.reduce(0, +)
      lines.append(
        "cloudtrail records: \(ct.recordsRead) read = \(ct.recordsIndexed) indexed + \(ct.recordsRejected) rejected"
          + " + \(skipped) skipped (Insights events), from \(ct.files) files"
      )
    }
    if let r = s.s3 {
      lines.append(
        "s3: \(r.objectsListed) objects listed\(r.prefixesPruned > 0 ? " (\(r.prefixesPruned) date prefixes outside --since/--until not listed)" : ""), "
          + "\(r.getRequests) GETs, \(String(format: "%.2f", Double(r.bytesReceived) / 1_048_576)) MB received, \(r.retries) retries"
      )
    }
    if let p = s.published {
      let pulled = s.pulled.map { "; brought \($0.segments) manifest segments and \($0.parts) parts first" } ?? ""
      lines.append(
        "published: \(p.parts) parts (\(String(format: "%.2f", Double(p.bytes) / 1_048_576)) MB) and \(p.segments) "
          + "manifest segments uploaded, \(p.removed) replaced parts removed\(pulled)")
    }
    if let v = s.cloudTrail.validation {
      lines.append(
        "cloudtrail validation: \(v.verified) files hash verified, \(v.mismatched) hash mismatch, \(v.missing) missing, "
          + (v.indexedEarlier > 0 ? "\(v.indexedEarlier) indexed by an earlier run (not re-verified), " : "")
          + "\(v.noDigest) not covered by the \(v.digests) digests read; \(v.chainBreaks) digest chain breaks; "
          + "digest signatures: \(v.signaturesVerified) verified, \(v.signaturesInvalid) invalid, "
          + "\(v.signaturesUnchecked) not checked")
      let shown = v.notCovered.prefix(10)
      for path in shown { lines.append("  not covered by a digest: \(path)") }
      if v.notCovered.count > shown.count {
        lines.append("  (\(v.notCovered.count - shown.count) more not covered; --json lists every one)")
      }
    }
    if !s.reconciles { lines.append("COUNTS DO NOT RECONCILE: please report this as a bug") }
    if !s.filesSkipped.isEmpty {
      var reasons: [String: Int] = [:]
      for note in s.filesSkipped { reasons[note.reason, default: 0] += 1 }
      lines.append(
        "skipped files: "
          + reasons.sorted { $0.value > $1.value }.map { "\($0.value) \($0.key)" }.joined(separator: "; "))
    }
    if !s.rejectionsByReason.isEmpty {
      let reasons = s.rejectionsByReason.sorted { $0.value > $1.value }.map { "\($0.key) \($0.value)" }
      lines.append(
        "rejections: " + reasons.joined(separator: ", ")
          + (listed < s.linesRejected ? " (\(listed) listed above; --show-rejections -1 lists all)" : ""))
    }
    let outMB = Double(s.outputBytes) / 1_048_576
    lines.append(
      "output: \(s.parts.count) parts, \(String(format: "%.2f", outMB)) MB from \(String(format: "%.2f", mb)) MB of logs, \(String(format: "%.2f", s.seconds)) s (\(String(format: "%.1f", rate)) MB/s)"
    )
    return lines.joined(separator: "\n")
  }

  static func makeRunID(_ date: Date) -> String {
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.timeZone = TimeZone(identifier: "UTC")
    formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
    return "\(formatter.string(from: date))-\(getpid())"
  }

  /// The lease of an S3 output: `LEASE` for a whole run, `LEASE.sIofN` for a fleet worker. Fleet
  /// workers of one size run together; a whole run, or a fleet of another size, is refused
  /// while any of them holds a live lease (as local fleets share a lock).
  static func fleetLease(output: S3Output, client: S3Client, holder: String, workers: Int, fleet: String)
    async throws -> S3Lease
  {
    let bucket = output.url.bucket
    let key = output.leaseKey + fleet
    let lease = try await S3Lease.acquire(client: client, bucket: bucket, key: key, holder: holder)
    do {
      let others = try await S3Lease.live(client: client, bucket: bucket, prefix: output.leaseKey, except: key)
      if let other = others.first(where: { workers == 1 || !$0.key.hasSuffix("of\(workers)") }) {
        throw S3Lease.Held(url: "s3://\(bucket)/\(other.key)", holder: other.holder, expires: other.expires)
      }
    } catch {
      await lease.release()
      throw error
    }
    return lease
  }

  static func printError(_ message: String, terminator: String = "\n") {
    Streams.error((message + terminator))
  }
}
