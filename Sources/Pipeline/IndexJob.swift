import AccessLog
import CloudTrail
import LogInput
import Shards

public struct IndexOptions: Sendable {
  public var inputs: [String]
  public var outputDirectory: String
  public var runID: String
  public var lineReader = LineReaderOptions()
  public var shards = ShardOptions()

  public init(inputs: [String], outputDirectory: String, runID: String) {
    self.inputs = inputs
    self.outputDirectory = outputDirectory
    self.runID = runID
  }
}

/// The indexing run: discover inputs, read each file as access-log lines or as a CloudTrail
/// document, and hand rows to the shard writers. Rejections and file notes go to the callbacks
/// as they happen and are counted in the summary.
public struct IndexJob {
  public let options: IndexOptions

  public init(options: IndexOptions) { self.options = options }

  public func run(
    onRejection: (Rejection) -> Void, onFileNote: (IndexSummary.FileNote, _ skipped: Bool) -> Void,
    onFileDone: (_ index: Int, _ of: Int, _ summary: IndexSummary) -> Void = { _, _, _ in }
  ) throws -> IndexSummary {
    var summary = IndexSummary()
    let (files, problems) = InputDiscovery.discover(options.inputs)
    summary.filesFound = files.count
    for p in problems {
      let note = IndexSummary.FileNote(path: p.path, offset: p.offset, reason: p.reason)
      summary.fileProblems.append(note)
      onFileNote(note, false)
    }
    let reader = LineReader(options: options.lineReader)
    let accessLogs = S3AccessShardWriter(
      outputDirectory: options.outputDirectory, runID: options.runID, version: BuildInfo.version,
      options: options.shards)
    let cloudTrail = CloudTrailShardWriter(
      outputDirectory: options.outputDirectory, runID: options.runID, version: BuildInfo.version,
      options: options.shards)
    var accessRecord = AccessLogRecord()
    var trailRecord = CloudTrailRecord()
    var writeError: Error?
    var cloudTrailAppended: Int64 = 0

    func reject(_ path: String, _ offset: Int64, _ code: String, _ explanation: String) {
      summary.rejectionsByReason[code, default: 0] += 1
      onRejection(Rejection(path: path, offset: offset, reason: code, explanation: explanation))
    }

    for (index, file) in files.enumerated() {
      summary.inputBytes += file.size
      if let reason = InputClassifier.skipReason(forPath: file.path) {
        let note = IndexSummary.FileNote(path: file.path, offset: nil, reason: reason)
        summary.filesSkipped.append(note)
        onFileNote(note, true)
        onFileDone(index + 1, files.count, summary)
        continue
      }
      var pathBytes = Array(file.path.utf8)
      var documentSkip: String?
      var isCloudTrail = false
      let result = pathBytes.withUnsafeMutableBytes { rawPath in
        let path = UnsafeRawBufferPointer(rawPath)
        return reader.read(
          path: file.path,
          decide: { head in
            switch InputClassifier.mode(forHead: head) {
            case .text: return .lines
            case .json: return .whole
            case .skip(let reason): return .skip(reason)
            }
          },
          onLine: { line, offset in
            guard writeError == nil else { return }
            if let rejection = AccessLogTokenizer.parse(line, into: &accessRecord) {
              summary.linesRejected += 1
              reject(file.path, offset, rejection.rawValue, rejection.explanation)
              return
            }
            do {
              try accessLogs.append(line: line, record: accessRecord, sourceFile: path, offset: offset)
              summary.rowsIndexed += 1
            } catch {
              writeError = error
            }
          },
          onOverlong: { offset in
            let r = AccessLogRejection.lineTooLong
            summary.linesRejected += 1
            reject(file.path, offset, r.rawValue, r.explanation)
          },
          onWhole: { content in
            isCloudTrail = true
            let counts = indexCloudTrail(
              content, path: file.path, pathBytes: path, writer: cloudTrail, record: &trailRecord,
              writeError: &writeError, reject: reject)
            summary.cloudTrail.recordsRead += counts.read
            summary.cloudTrail.recordsRejected += counts.rejected
            for (reason, n) in counts.skipped { summary.cloudTrail.recordsSkipped[reason, default: 0] += n }
            cloudTrailAppended += counts.appended
            documentSkip = counts.documentSkip
          })
      }
      pathBytes.removeAll()
      if let writeError { throw writeError }
      summary.linesRead += result.lines
      summary.contentBytes += result.contentBytes
      if isCloudTrail { summary.cloudTrail.files += 1 }
      if let reason = result.skipReason ?? documentSkip {
        let note = IndexSummary.FileNote(path: file.path, offset: nil, reason: reason)
        summary.filesSkipped.append(note)
        onFileNote(note, true)
      } else if result.problem == nil || result.mode == .lines {
        summary.filesRead += 1
      }
      if let problem = result.problem {
        let note = IndexSummary.FileNote(path: problem.path, offset: problem.offset, reason: problem.reason)
        summary.fileProblems.append(note)
        onFileNote(note, false)
      }
      onFileDone(index + 1, files.count, summary)
    }
    for part in try accessLogs.finish() + cloudTrail.finish() {
      summary.parts.append(
        IndexSummary.Part(
          table: part.table, partition: part.partition, path: part.path, rows: part.rows, bytes: part.bytes))
      summary.outputBytes += Int64(part.bytes)
    }
    summary.cloudTrail.duplicatesDropped = Int64(cloudTrail.duplicatesDropped)
    summary.cloudTrail.recordsIndexed = cloudTrailAppended - summary.cloudTrail.duplicatesDropped
    return summary
  }

  struct DocumentCounts {
    var read: Int64 = 0
    var appended: Int64 = 0
    var rejected: Int64 = 0
    var skipped: [String: Int64] = [:]
    var documentSkip: String?
  }

  /// Indexes the records of one CloudTrail document.
  func indexCloudTrail(
    _ content: UnsafeRawBufferPointer, path: String, pathBytes: UnsafeRawBufferPointer, writer: CloudTrailShardWriter,
    record: inout CloudTrailRecord, writeError: inout Error?,
    reject: (String, Int64, String, String) -> Void
  ) -> DocumentCounts {
    var counts = DocumentCounts()
    let document = CloudTrailDocument(content)
    let scanner = JSONScanner(content)
    let outcome = document.scan(
      onRecord: { value in
        guard writeError == nil else { return }
        counts.read += 1
        let offset = Int64(value.start)
        do throws(JSONError) {
          try CloudTrailRecordReader.read(value, scanner: scanner, into: &record)
        } catch {
          counts.rejected += 1
          reject(path, Int64(error.offset), "malformed_json", "malformed JSON (\(error.reason))")
          return
        }
        if JSONStrings.equals(record.eventType, "AwsCloudTrailInsight", in: content) {
          counts.skipped["insight_event", default: 0] += 1
          return
        }
        guard let time = record.eventTimeMicros else {
          counts.rejected += 1
          reject(path, offset, "no_event_time", "record has no eventTime (or @timestamp) in a known form")
          return
        }
        do {
          try writer.append(record, eventTime: time, scanner: scanner, sourceFile: pathBytes, offset: offset)
          counts.appended += 1
        } catch {
          writeError = error
        }
      },
      onReject: { offset, rejection in
        counts.read += 1
        counts.rejected += 1
        reject(path, Int64(offset), rejection.code, rejection.explanation)
      })
    if case .notALog(let reason) = outcome { counts.documentSkip = reason }
    if counts.read > 0 && counts.read == counts.skipped["insight_event"] {
      counts.documentSkip = "CloudTrail Insights events, not API events"
    }
    return counts
  }
}
