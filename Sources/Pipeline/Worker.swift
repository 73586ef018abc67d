import AccessLog
import CloudTrail
import LogInput
import Manifest
import S3Store
import ShardSchema
import Shards

/// One indexing thread: its own reader, tokenizer state and shard writers, so the hot path
/// shares nothing and takes no lock; only progress and reports cross threads.
final class Worker {
  let job: IndexJob
  let files: [InputFile]
  let observer: any IndexObserver
  let shared: SharedRun
  /// Fetches the run's `s3://` objects; nil when every input is local.
  let fetcher: ObjectPrefetcher?
  /// The run's CloudTrail digests: each log file is checked against them as it is read.
  let digests: DigestCatalog
  private let reader: LineReader
  private let accessLogs: S3AccessShardWriter
  private let cloudTrail: CloudTrailShardWriter
  private let rejects: RejectsShardWriter
  /// Reused from document to document (its instance-id list keeps its capacity); moved into a
  /// local while a document is read (see `indexCloudTrail`).
  private var trailScratch = CloudTrailRecord()
  private(set) var summary = IndexSummary()
  private let index: Int
  /// Pieces finished since the last commit, and how much content they held.
  private var pending: [InputPiece] = []
  private var contentSinceCommit: Int64 = 0
  private var commits = 0
  /// Rejections of the current input piece by reason: past `rejectRowsPerReason`, a reason's
  /// rejections are counted here and kept as one row when the piece ends (a file of 50 million
  /// empty lines is 50 million rejections, not 50 million rows).
  private var rejectRuns: [String: RejectRun] = [:]
  static let rejectRowsPerReason = 1000

  struct RejectRun {
    var count = 0
    var table = ""
    var explanation = ""
    var firstFolded: Int64 = 0
    var lastFolded: Int64 = 0
  }

  init(
    job: IndexJob, index: Int, files: [InputFile], observer: any IndexObserver, shared: SharedRun,
    fetcher: ObjectPrefetcher? = nil, digests: DigestCatalog = DigestCatalog()
  ) {
    self.job = job
    self.fetcher = fetcher
    self.digests = digests
    self.files = files
    self.observer = observer
    self.shared = shared
    self.index = index
    let o = job.options
    reader = LineReader(options: o.lineReader)
    var shardOptions = o.shards
    shardOptions.maxBufferedBytes = max(32 << 20, o.shards.maxBufferedBytes / max(1, o.threads))
    let runID = "\(o.runID)-w\(index)"
    // One budget for both tables: a tree of access logs and CloudTrail together stays within it.
    let gauge = MemoryGauge(budget: shardOptions.maxBufferedBytes)
    accessLogs = S3AccessShardWriter(
      outputDirectory: o.outputDirectory, runID: runID, version: BuildInfo.version, options: shardOptions,
      gauge: gauge)
    cloudTrail = CloudTrailShardWriter(
      outputDirectory: o.outputDirectory, runID: runID, version: BuildInfo.version, options: shardOptions,
      gauge: gauge)
    var rejectOptions = shardOptions
    rejectOptions.maxBufferedBytes = 16 << 20
    rejects = RejectsShardWriter(
      outputDirectory: o.outputDirectory, partRunID: runID, runID: o.runID, runStartMicros: o.runStartMicros,
      version: BuildInfo.version, options: rejectOptions)
  }

  /// Reports a rejection, counts it and keeps it in the `rejects` table with a scrubbed excerpt.
  private func reject(
    _ table: String, _ path: String, _ pathBytes: UnsafeRawBufferPointer, _ offset: Int64, _ code: String,
    _ explanation: String, excerpt: UnsafeRawBufferPointer?
  ) throws {
    summary.rejectionsByReason[code, default: 0] += 1
    observer.rejected(Rejection(path: path, offset: offset, reason: code, explanation: explanation))
    var run = rejectRuns[code, default: RejectRun()]
    run.count += 1
    if run.count > Self.rejectRowsPerReason {
      if run.count == Self.rejectRowsPerReason + 1 {
        (run.table, run.explanation, run.firstFolded) = (table, explanation, offset)
      }
      run.lastFolded = offset
      rejectRuns[code] = run
      return
    }
    rejectRuns[code] = run
    try rejects.append(
      table: table, sourceFile: pathBytes, offset: offset, reason: code, explanation: explanation, excerpt: excerpt)
  }

  /// Writes one row for each reason whose rejections in the piece just read passed
  /// `rejectRowsPerReason`, at the first one not kept, saying how many more there were.
  private func foldRejectRuns(_ pathBytes: UnsafeRawBufferPointer) throws {
    defer { rejectRuns.removeAll(keepingCapacity: true) }
    for (code, run) in rejectRuns.sorted(by: { $0.key < $1.key }) where run.count > Self.rejectRowsPerReason {
      let more = run.count - Self.rejectRowsPerReason
      try rejects.append(
        table: run.table, sourceFile: pathBytes, offset: run.firstFolded, reason: code,
        explanation: "\(run.explanation) (and \(more - 1) more \(code) rejections of this file up to offset "
          + "\(run.lastFolded), counted in the summary but not kept one row each)",
        excerpt: nil)
    }
  }

  func process(_ item: IndexJob.Item) throws {
    let file = files[item.file]
    // An S3 object is read from the buffer its fetch filled; one that could not be fetched is a
    // problem of its own and left out of the manifest, so the next run tries it again.
    var fetched: Int32?
    if let fetcher, S3URL.isS3(file.path) {
      switch fetcher.take(item.file) {
      case .success(let fd): fetched = fd
      case .failure(let error):
        let note = IndexSummary.FileNote(path: file.path, offset: nil, reason: error.reasonWithoutURL)
        summary.fileProblems.append(note)
        observer.fileNote(note, skipped: false)
        fetcher.release(item.file)
        observer.progress(shared.advance(files: 1, bytes: 0, stored: file.size, rows: 0, rejected: 0))
        return
      }
    }
    defer { if fetched != nil { fetcher?.release(item.file) } }
    let before = (
      summary.contentBytes, summary.rowsIndexed + summary.cloudTrail.recordsIndexed,
      summary.linesRejected + summary.cloudTrail.recordsRejected, summary.cloudTrail.recordsRead
    )
    if item.isFirstShare { summary.inputBytes += file.size }
    var hasher = ContentHasher()
    let pathBytes = Array(file.path.utf8)
    var documentSkip: String?
    var isCloudTrail = false
    var writeError: Error?
    // Per-line state in locals, not in this object's properties: every access to a class's
    // stored property from the line closure paid a run-time exclusivity check.
    var accessRecord = AccessLogRecord()
    var rowsIndexed: Int64 = 0
    var linesRejected: Int64 = 0
    var jsonLines: Int64 = 0
    let result = pathBytes.withUnsafeBytes { path in
      // One access-log line: a row, or a rejection.
      func indexLine(_ line: UnsafeRawBufferPointer, _ offset: Int64) {
        guard writeError == nil else { return }
        if let rejection = AccessLogTokenizer.parse(line, into: &accessRecord) {
          linesRejected += 1
          do {
            try reject(
              S3AccessSchema.tableName, file.path, path, offset, rejection.rawValue, rejection.explanation,
              excerpt: line)
          } catch {
            writeError = error
          }
          return
        }
        do {
          try accessLogs.append(line: line, record: accessRecord, sourceFile: path, offset: offset)
          rowsIndexed += 1
        } catch {
          writeError = error
        }
      }
      return reader.read(
        fd: fetched, path: file.path, range: item.range,
        decide: { head in
          switch InputClassifier.mode(forHead: head) {
          case .text: return .lines
          case .json: return .whole
          case .skip(let reason): return .skip(reason)
          }
        },
        onLine: { line, offset in indexLine(line, offset) },
        onOverlong: { offset in
          let r = AccessLogRejection.lineTooLong
          linesRejected += 1
          do {
            try reject(S3AccessSchema.tableName, file.path, path, offset, r.rawValue, r.explanation, excerpt: nil)
          } catch {
            writeError = error
          }
        },
        onWhole: { content in
          if AccessLogJSON.matches(content) {
            // Access logs as CloudWatch Logs writes them: each record is the line S3 would write.
            let problems = AccessLogJSON.forEachRecord(content) { line, offset in
              jsonLines += 1
              indexLine(line, offset)
            }
            for (offset, reason) in problems where writeError == nil {
              jsonLines += 1
              linesRejected += 1
              let excerpt = UnsafeRawBufferPointer(
                rebasing: content[Int(offset)..<min(content.count, Int(offset) + 512)])
              do {
                try reject(S3AccessSchema.tableName, file.path, path, offset, "not_a_record", reason, excerpt: excerpt)
              } catch {
                writeError = error
              }
            }
            return
          }
          isCloudTrail = true
          let validation = digests.validate(path: file.path, content: content)
          documentSkip = indexCloudTrail(
            content, path: file.path, pathBytes: path, validation: validation, writeError: &writeError)
          if documentSkip == nil { noteValidation(validation, path: file.path) }
        },
        onStored: { hasher.update($0) })
    }
    summary.rowsIndexed += rowsIndexed
    summary.linesRejected += linesRejected
    if let writeError { throw writeError }
    try pathBytes.withUnsafeBytes { try foldRejectRuns($0) }
    summary.linesRead += result.lines + jsonLines
    summary.contentBytes += result.contentBytes
    if isCloudTrail { summary.cloudTrail.files += 1 }
    if item.isFirstShare {
      if let reason = result.skipReason ?? documentSkip {
        let note = IndexSummary.FileNote(path: file.path, offset: nil, reason: reason)
        summary.filesSkipped.append(note)
        observer.fileNote(note, skipped: true)
      } else if result.problem == nil || result.mode == .lines {
        summary.filesRead += 1
      }
    }
    if let problem = result.problem {
      let note = IndexSummary.FileNote(path: problem.path, offset: problem.offset, reason: problem.reason)
      summary.fileProblems.append(note)
      observer.fileNote(note, skipped: false)
    }
    var read = result
    if jsonLines > 0 {
      // Access-log records read from JSON: lines for the manifest, as a text file's are.
      read.mode = .lines
      read.lines = jsonLines
    }
    if fetched != nil {
      // The buffer's own size and time are the fetch's; the object's are what a rerun compares.
      read.modifiedNanos = file.modifiedNanos
    }
    record(item, file: file, result: read, hasher: hasher, skip: result.skipReason ?? documentSkip, before: before)
    try accessLogs.enforceMemoryBound()
    try cloudTrail.enforceMemoryBound()
    let progress = shared.advance(
      files: item.isFirstShare ? 1 : 0, bytes: summary.contentBytes - before.0,
      stored: item.range.map { $0.upperBound - $0.lowerBound } ?? file.size,
      rows: summary.rowsIndexed + summary.cloudTrail.recordsIndexed - before.1,
      rejected: summary.linesRejected + summary.cloudTrail.recordsRejected - before.2)
    observer.progress(progress)
  }

  /// Counts what the digests said of a CloudTrail file; an altered one is a problem of its own.
  private func noteValidation(_ validation: LogValidation, path: String) {
    guard validation != .notChecked else { return }
    var v = summary.cloudTrail.validation ?? IndexSummary.Validation()
    switch validation {
    case .verified, .signed: v.verified += 1
    case .noDigest:
      v.noDigest += 1
      v.notCovered.append(path)
    case .mismatch:
      v.mismatched += 1
      let note = IndexSummary.FileNote(
        path: path, offset: nil,
        reason: "SHA-256 differs from the digest's: altered since CloudTrail delivered it (its rows are kept, "
          + "marked 'hash mismatch' in log_validation)")
      summary.fileProblems.append(note)
      observer.fileNote(note, skipped: false)
    case .notChecked: break
    }
    summary.cloudTrail.validation = v
  }

  /// Indexes the records of one CloudTrail document; returns why the whole file is not a log.
  private func indexCloudTrail(
    _ content: UnsafeRawBufferPointer, path: String, pathBytes: UnsafeRawBufferPointer, validation: LogValidation,
    writeError: inout Error?
  ) -> String? {
    let document = CloudTrailDocument(content)
    let scanner = document.scanner
    var read: Int64 = 0
    var insights: Int64 = 0
    var indexed: Int64 = 0
    var rejected: Int64 = 0
    var trailRecord = CloudTrailRecord()
    swap(&trailRecord, &trailScratch)
    defer {
      swap(&trailRecord, &trailScratch)
      summary.cloudTrail.recordsRead += read
      summary.cloudTrail.recordsIndexed += indexed
      summary.cloudTrail.recordsRejected += rejected
      if insights > 0 { summary.cloudTrail.recordsSkipped["insight_event", default: 0] += insights }
    }
    func rejectRecord(_ offset: Int64, _ code: String, _ explanation: String, _ excerpt: UnsafeRawBufferPointer) {
      do {
        try reject(CloudTrailSchema.tableName, path, pathBytes, offset, code, explanation, excerpt: excerpt)
      } catch {
        writeError = error
      }
    }
    let outcome = document.scan(
      onRecord: { value, envelope in
        guard writeError == nil else { return }
        read += 1
        let offset = Int64(value.start)
        let recordBytes = value.sourceBytes(in: content)
        do throws(JSONError) {
          try CloudTrailRecordReader.read(value, scanner: scanner, into: &trailRecord)
          if !envelope.isMissing {
            CloudTrailRecordReader.applyEnvelope(envelope, scanner: scanner, to: &trailRecord)
          }
          trailRecord.validation = validation
        } catch {
          rejected += 1
          rejectRecord(Int64(error.offset), "malformed_json", "malformed JSON (\(error.reason))", recordBytes)
          return
        }
        if JSONStrings.equals(trailRecord.eventType, "AwsCloudTrailInsight", in: content) {
          insights += 1
          return
        }
        guard let time = trailRecord.eventTimeMicros else {
          rejected += 1
          rejectRecord(
            offset, "no_event_time",
            "record has no eventTime (or @timestamp, or an EventBridge envelope's time) in a known form", recordBytes)
          return
        }
        do {
          try cloudTrail.append(&trailRecord, eventTime: time, scanner: scanner, sourceFile: pathBytes, offset: offset)
          indexed += 1
        } catch {
          writeError = error
        }
      },
      onReject: { offset, rejection in
        read += 1
        rejected += 1
        let rest = UnsafeRawBufferPointer(rebasing: content[min(offset, content.count)...])
        rejectRecord(Int64(offset), rejection.code, rejection.explanation, rest)
      })
    if case .notALog(let reason) = outcome { return reason }
    if read > 0 && read == insights { return "CloudTrail Insights events, not API events" }
    return nil
  }

  /// Notes the finished piece for the next commit; a file that could not even be opened is left
  /// out, so the next run tries it again.
  private func record(
    _ item: IndexJob.Item, file: InputFile, result: FileReadResult, hasher: ContentHasher, skip: String?,
    before: (Int64, Int64, Int64, Int64)
  ) {
    if result.problem != nil && result.mode == nil && result.storedBytes == 0 { return }
    let range = item.range.map { $0.clamped(to: 0..<max($0.lowerBound, result.fileSize)) } ?? 0..<result.fileSize
    let complete = hasher.bytes == range.count && !result.shrank
    let status = skip != nil ? "skipped" : result.problem != nil ? "damaged" : "indexed"
    pending.append(
      InputPiece(
        path: file.path, size: result.fileSize, modifiedNanos: result.modifiedNanos, range: range,
        contentHash: complete ? hasher.finalize() : nil, status: status,
        note: skip ?? result.problem?.description ?? "",
        lines: result.mode == .lines ? result.lines : summary.cloudTrail.recordsRead - before.3,
        rows: summary.rowsIndexed + summary.cloudTrail.recordsIndexed - before.1,
        rejected: summary.linesRejected + summary.cloudTrail.recordsRejected - before.2, etag: file.etag))
    contentSinceCommit += result.contentBytes
  }

  /// Commits when enough content has been indexed since the last commit.
  func checkpointIfDue() throws {
    if contentSinceCommit >= job.options.checkpointBytes { try commit() }
  }

  /// Writes every part still buffered, then commits the finished pieces and their parts to the
  /// manifest: after a crash, the next run keeps exactly what was committed.
  func commit() throws {
    var entries = pending.map(ManifestEntry.input)
    for part in try accessLogs.finish() + cloudTrail.finish() + rejects.finish() {
      summary.parts.append(
        IndexSummary.Part(
          table: part.table, partition: part.partition, path: part.path, rows: part.rows, bytes: part.bytes))
      summary.outputBytes += Int64(part.bytes)
      entries.append(
        .part(
          PartRecord(
            table: part.table, partition: part.partition,
            path: IndexJob.relativePath(part.path, to: job.options.outputDirectory), rows: Int64(part.rows),
            bytes: Int64(part.bytes))))
    }
    pending = []
    contentSinceCommit = 0
    guard !entries.isEmpty else { return }
    commits += 1
    try ManifestStore(outputDirectory: job.options.outputDirectory).commit(
      entries, tag: "\(job.options.runID)-w\(index)-\(commits)")
  }
}
