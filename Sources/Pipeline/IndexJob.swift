import AccessLog
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

/// The indexing run: discover inputs, read each file line by line, tokenize, and hand rows to the
/// shard writer. Rejections and file problems go to the callbacks as they happen and are counted
/// in the summary.
public struct IndexJob {
  public let options: IndexOptions

  public init(options: IndexOptions) { self.options = options }

  /// Decides from a file's first bytes whether it can be an S3 server access log.
  public static func classify(_ head: UnsafeRawBufferPointer) -> String? {
    if head.contains(0) { return "binary content (NUL bytes), not a text log" }
    for b in head where b != 0x20 && b != 0x0A && b != 0x0D && b != 0x09 {
      if b == UInt8(ascii: "{") || b == UInt8(ascii: "[") {
        return "JSON content (CloudTrail or another JSON log), not an S3 server access log"
      }
      break
    }
    return nil
  }

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
    let writer = S3AccessShardWriter(
      outputDirectory: options.outputDirectory, runID: options.runID, version: BuildInfo.version,
      options: options.shards)
    var record = AccessLogRecord()
    var writeError: Error?

    for (index, file) in files.enumerated() {
      summary.inputBytes += file.size
      var pathBytes = Array(file.path.utf8)
      let result = pathBytes.withUnsafeMutableBytes { rawPath in
        let path = UnsafeRawBufferPointer(rawPath)
        return reader.read(
          path: file.path, accept: Self.classify,
          onLine: { line, offset in
            guard writeError == nil else { return }
            if let rejection = AccessLogTokenizer.parse(line, into: &record) {
              summary.linesRejected += 1
              summary.rejectionsByReason[rejection.rawValue, default: 0] += 1
              onRejection(
                Rejection(
                  path: file.path, offset: offset, reason: rejection.rawValue, explanation: rejection.explanation))
              return
            }
            do {
              try writer.append(line: line, record: record, sourceFile: path, offset: offset)
              summary.rowsIndexed += 1
            } catch {
              writeError = error
            }
          },
          onOverlong: { offset in
            let r = AccessLogRejection.lineTooLong
            summary.linesRejected += 1
            summary.rejectionsByReason[r.rawValue, default: 0] += 1
            onRejection(Rejection(path: file.path, offset: offset, reason: r.rawValue, explanation: r.explanation))
          })
      }
      pathBytes.removeAll()
      if let writeError { throw writeError }
      summary.linesRead += result.lines
      summary.contentBytes += result.contentBytes
      if let reason = result.skipReason {
        let note = IndexSummary.FileNote(path: file.path, offset: nil, reason: reason)
        summary.filesSkipped.append(note)
        onFileNote(note, true)
      } else {
        summary.filesRead += 1
      }
      if let problem = result.problem {
        let note = IndexSummary.FileNote(path: problem.path, offset: problem.offset, reason: problem.reason)
        summary.fileProblems.append(note)
        onFileNote(note, false)
      }
      onFileDone(index + 1, files.count, summary)
    }
    for part in try writer.finish() {
      summary.parts.append(
        IndexSummary.Part(
          table: part.table, partition: part.partition, path: part.path, rows: part.rows, bytes: part.bytes))
      summary.outputBytes += Int64(part.bytes)
    }
    return summary
  }
}
