import CZlib
import Foundation
import Synchronization
import Testing

@testable import Pipeline

final class RecordingObserver: IndexObserver {
  let rejections = Mutex<[Rejection]>([])
  let notes = Mutex<[IndexSummary.FileNote]>([])

  func rejected(_ r: Rejection) { rejections.withLock { $0.append(r) } }
  func fileNote(_ note: IndexSummary.FileNote, skipped: Bool) { notes.withLock { $0.append(note) } }
  func progress(_ progress: IndexProgress) {}
}

@Suite struct IndexJobTests {
  static let good =
    "79a5 bkt [06/Feb/2019:00:00:38 +0000] 192.0.2.3 arn:aws:iam::1:user/a 3E57427F33A59F07 REST.GET.OBJECT k "
    + "\"GET /k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIAEXAMPLE%2F20190205%2Fus-east-1%2Fs3%2Faws4_request"
    + "&X-Amz-Date=20190205T230038Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Security-Token=PLANTEDTOKEN123"
    + "&X-Amz-Signature=PLANTEDSIGNATURE456 HTTP/1.1\" 200 - 113 - 7 - \"-\" \"curl/8\" - aGk= SigV4 "
    + "ECDHE-RSA-AES128-GCM-SHA256 QueryString bkt.s3.amazonaws.com TLSv1.2"

  static func gzip(_ text: String) -> Data {
    let data = Array(text.utf8)
    var out = [UInt8](repeating: 0, count: data.count + 1024)
    var stream = z_stream()
    deflateInit2_(&stream, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
    var input = data
    let n = input.withUnsafeMutableBufferPointer { i in
      out.withUnsafeMutableBufferPointer { o in
        stream.next_in = i.baseAddress
        stream.avail_in = uInt(i.count)
        stream.next_out = o.baseAddress
        stream.avail_out = uInt(o.count)
        deflate(&stream, Z_FINISH)
        return o.count - Int(stream.avail_out)
      }
    }
    deflateEnd(&stream)
    return Data(out[0..<n])
  }

  @Test func mixedTreeReconcilesAndReportsEveryFile() throws {
    let root = NSTemporaryDirectory() + "sigtrail-job-\(getpid())"
    let input = root + "/in"
    let output = root + "/out"
    try FileManager.default.createDirectory(atPath: input + "/sub", withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: root) }
    let fm = FileManager.default
    fm.createFile(atPath: input + "/a.log", contents: Data((Self.good + "\nnot a log line\n" + Self.good + "\n").utf8))
    fm.createFile(atPath: input + "/sub/b.gz", contents: Self.gzip(Self.good + "\n\n"))
    fm.createFile(atPath: input + "/trail.json", contents: Data("{\"Records\":[]}".utf8))
    fm.createFile(atPath: input + "/blob.bin", contents: Data([0x50, 0, 0, 1, 2]))
    var broken = Self.gzip(String(repeating: Self.good + "\n", count: 200))
    broken = broken.prefix(broken.count / 2)
    fm.createFile(atPath: input + "/sub/broken.gz", contents: broken)

    let observer = RecordingObserver()
    let job = IndexJob(options: IndexOptions(inputs: [input], outputDirectory: output, runID: "test"))
    let summary = try job.run(observer: observer)
    let rejections = observer.rejections.withLock { $0 }
    let notes = observer.notes.withLock { $0 }

    #expect(summary.filesFound == 5)
    #expect(summary.filesSkipped.map(\.path) == [input + "/blob.bin"])
    #expect(summary.cloudTrail.files == 1 && summary.cloudTrail.recordsRead == 0)
    #expect(summary.fileProblems.count == 1)
    #expect(summary.fileProblems.first?.path == input + "/sub/broken.gz")
    #expect(summary.reconciles)
    #expect(summary.rejectionsByReason == ["bad_time": 1, "empty_line": 1])
    #expect(rejections.contains { $0.path == input + "/a.log" && $0.offset == Int64(Self.good.utf8.count + 1) })
    #expect(summary.rowsIndexed >= 3)
    let accessParts = summary.parts.filter { $0.table == "s3_access" }
    #expect(accessParts.count == 1)
    #expect(accessParts.first?.partition == "dt=2019-02-06")
    // The two rejected lines are kept in the rejects table, partitioned by the run's day.
    let rejectParts = summary.parts.filter { $0.table == "rejects" }
    #expect(rejectParts.map(\.rows).reduce(0, +) == 2)
    #expect(notes.count == 2)

    // Neither planted secret is anywhere in the output, not even compressed away by chance.
    for part in summary.parts {
      let bytes = try Data(contentsOf: URL(fileURLWithPath: part.path))
      #expect(bytes.range(of: Data("PLANTEDTOKEN123".utf8)) == nil)
      #expect(bytes.range(of: Data("PLANTEDSIGNATURE456".utf8)) == nil)
      #expect(bytes.prefix(4) == Data("PAR1".utf8) && bytes.suffix(4) == Data("PAR1".utf8))
    }
  }
}

/// Changes the input tree the first time the run reports progress: the files it names are
/// then already discovered but not yet read.
final class MeddlingObserver: IndexObserver {
  let done = Mutex(false)
  let meddle: @Sendable () -> Void
  let notes = Mutex<[IndexSummary.FileNote]>([])

  init(_ meddle: @escaping @Sendable () -> Void) { self.meddle = meddle }

  func rejected(_ r: Rejection) {}
  func fileNote(_ note: IndexSummary.FileNote, skipped: Bool) { notes.withLock { $0.append(note) } }
  func progress(_ progress: IndexProgress) {
    let first = done.withLock { d in
      defer { d = true }
      return !d
    }
    if first { meddle() }
  }
}

@Suite struct HostileTreeTests {
  @Test func vanishingGrowingHugeEmptyAndLoopingInputsAreReportedAndTheRunGoesOn() throws {
    let root = NSTemporaryDirectory() + "sigtrail-hostile-\(getpid())"
    let input = root + "/in"
    let output = root + "/out"
    let fm = FileManager.default
    try fm.createDirectory(atPath: input + "/dir", withIntermediateDirectories: true)
    defer { try? fm.removeItem(atPath: root) }
    let line = IndexJobTests.good + "\n"
    fm.createFile(atPath: input + "/a.log", contents: Data(line.utf8))
    fm.createFile(atPath: input + "/empty.log", contents: Data())
    // 50 MB without a newline: one overlong line, rejected at offset 0.
    fm.createFile(
      atPath: input + "/huge.log",
      contents: Data(IndexJobTests.good.utf8) + Data(repeating: UInt8(ascii: "x"), count: 50 << 20))
    try fm.createSymbolicLink(atPath: input + "/dir/loop", withDestinationPath: input + "/dir")
    // Unreadable: a link to nothing (permissions do not stop root, which CI may be).
    try fm.createSymbolicLink(atPath: input + "/dir/dangling.log", withDestinationPath: input + "/nowhere")
    let locked = input + "/locked.log"
    fm.createFile(atPath: locked, contents: Data(line.utf8), attributes: [.posixPermissions: 0o000])
    fm.createFile(atPath: input + "/y-grow.log", contents: Data(line.utf8))
    fm.createFile(atPath: input + "/z-vanish.log", contents: Data(line.utf8))

    let observer = MeddlingObserver {
      unlink(input + "/z-vanish.log")
      if let h = FileHandle(forWritingAtPath: input + "/y-grow.log") {
        h.seekToEndOfFile()
        h.write(Data((line + line).utf8))
        h.closeFile()
      }
    }
    var options = IndexOptions(inputs: [input], outputDirectory: output, runID: "20260101T000000Z-1")
    options.threads = 1
    let summary = try IndexJob(options: options).run(observer: observer)
    #expect(summary.fileProblems.contains { $0.path == input + "/z-vanish.log" && $0.reason.contains("cannot open") })
    #expect(summary.fileProblems.contains { $0.path.hasPrefix(input + "/dir/loop") && $0.reason.contains("loop") })
    #expect(
      summary.fileProblems.contains { $0.path == input + "/dir/dangling.log" && $0.reason.contains("cannot stat") })
    let asRoot = getuid() == 0
    #expect(asRoot || summary.fileProblems.contains { $0.path == locked && $0.reason.contains("cannot open") })
    #expect(summary.rejectionsByReason["line_too_long"] == 1)
    // The grown file is read as it is when opened: three lines (and the locked one, as root).
    #expect(summary.rowsIndexed == 1 + 3 + (asRoot ? 1 : 0))
    #expect(summary.reconciles)

    // The manifest holds what was read, so the next night reads nothing again; the vanished
    // file was never recorded.
    let rerun = try IndexJob(
      options: IndexOptions(inputs: [input], outputDirectory: output, runID: "20260101T000001Z-2")
    ).run(observer: RecordingObserver())
    #expect(rerun.filesUnchanged == 4 + (asRoot ? 1 : 0))
    #expect(rerun.rowsIndexed == 0 && rerun.parts.isEmpty)
  }
}
