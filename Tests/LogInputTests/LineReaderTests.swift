import CZlib
import CZstd
import Foundation
import Testing

@testable import LogInput

@Suite struct LineReaderTests {
  /// Lines of many lengths, some longer than the limit used below, and no trailing newline.
  static func sampleContent(seed: UInt64 = 1, lines: Int = 400) -> [UInt8] {
    var state = seed
    var out: [UInt8] = []
    for i in 0..<lines {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      let length = i % 97 == 5 ? 700 : Int(state >> 56) + (i % 7 == 0 ? 0 : 10)
      for k in 0..<length { out.append(UInt8(ascii: "a") + UInt8((k + i) % 26)) }
      if i % 13 == 0 { out.append(13) }  // CRLF lines keep their CR for the tokenizer to drop
      out.append(10)
    }
    out.append(contentsOf: Array("last line without newline".utf8))
    return out
  }

  struct Read: Equatable {
    var lines: [[UInt8]] = []
    var offsets: [Int64] = []
    var overlong: [Int64] = []
  }

  /// What a correct reader delivers for `content` with `maxLine`.
  static func expected(_ content: [UInt8], maxLine: Int) -> Read {
    var r = Read()
    var start = 0
    while start < content.count {
      let end = content[start...].firstIndex(of: 10) ?? content.count
      if end - start > maxLine {
        r.overlong.append(Int64(start))
      } else {
        r.lines.append(Array(content[start..<end]))
        r.offsets.append(Int64(start))
      }
      start = end + 1
    }
    return r
  }

  static func read(_ path: String, maxLine: Int, chunk: Int) -> (Read, FileReadResult) {
    var options = LineReaderOptions()
    options.maxLineLength = maxLine
    options.chunkSize = chunk
    let reader = LineReader(options: options)
    var r = Read()
    let result = reader.read(
      path: path, accept: { _ in nil },
      onLine: { line, offset in
        r.lines.append(Array(line))
        r.offsets.append(offset)
      }, onOverlong: { r.overlong.append($0) })
    return (r, result)
  }

  static func temporaryPath(_ name: String) -> String {
    NSTemporaryDirectory() + "sigtrail-\(getpid())-\(name)"
  }

  static func gzip(_ data: [UInt8]) -> [UInt8] {
    var stream = z_stream()
    deflateInit2_(
      &stream, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
    var out = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(data.count))) + 64)
    var input = data
    let produced = input.withUnsafeMutableBufferPointer { inBuf in
      out.withUnsafeMutableBufferPointer { outBuf in
        stream.next_in = inBuf.baseAddress
        stream.avail_in = uInt(inBuf.count)
        stream.next_out = outBuf.baseAddress
        stream.avail_out = uInt(outBuf.count)
        deflate(&stream, Z_FINISH)
        return outBuf.count - Int(stream.avail_out)
      }
    }
    deflateEnd(&stream)
    return Array(out[0..<produced])
  }

  static func zstd(_ data: [UInt8]) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: ZSTD_compressBound(data.count))
    let n = ZSTD_compress(&out, out.count, data, data.count, 3)
    return Array(out[0..<n])
  }

  static func write(_ bytes: [UInt8], _ name: String) -> String {
    let path = temporaryPath(name)
    FileManager.default.createFile(atPath: path, contents: Data(bytes))
    return path
  }

  @Test(arguments: ["plain", "gzip", "zstd", "gzip-multimember"], [64, 1000, 1 << 20])
  func deliversEveryLineWithItsOffset(format: String, chunk: Int) {
    let content = Self.sampleContent()
    let stored: [UInt8]
    switch format {
    case "gzip": stored = Self.gzip(content)
    case "zstd": stored = Self.zstd(content)
    case "gzip-multimember":
      let half = content.count / 2
      stored = Self.gzip(Array(content[0..<half])) + Self.gzip(Array(content[half...]))
    default: stored = content
    }
    let path = Self.write(stored, "\(format)-\(chunk)")
    defer { unlink(path) }
    let (got, result) = Self.read(path, maxLine: 300, chunk: chunk)
    let want = Self.expected(content, maxLine: 300)
    #expect(got == want)
    #expect(result.problem == nil)
    #expect(result.contentBytes == Int64(content.count))
    #expect(result.lines == Int64(want.lines.count + want.overlong.count))
    let compression = ["plain": "none", "gzip-multimember": "gzip"][format] ?? format
    #expect(result.compression.rawValue == compression)
  }

  /// Small gzip files are inflated at once (libdeflate), large ones streamed (zlib): either way
  /// every stored byte is handed over once, in order, for the content hash.
  @Test(arguments: [64, 1 << 20])
  func gzipHandsOverEveryStoredByteOnce(chunk: Int) {
    let content = Self.sampleContent(seed: 5)
    let half = content.count / 2
    let stored = Self.gzip(Array(content[0..<half])) + Self.gzip(Array(content[half...]))
    let path = Self.write(stored, "stored-\(chunk)")
    defer { unlink(path) }
    var options = LineReaderOptions()
    options.chunkSize = chunk
    var seen: [UInt8] = []
    var lines = 0
    let result = LineReader(options: options).read(
      path: path, decide: { _ in .lines }, onLine: { _, _ in lines += 1 }, onOverlong: { _ in }, onWhole: { _ in },
      onStored: { seen += $0 })
    #expect(seen == stored)
    #expect(result.storedBytes == Int64(stored.count))
    #expect(result.problem == nil)
    #expect(lines == Self.expected(content, maxLine: 1 << 20).lines.count)
  }

  @Test func gzipWithTrailingBytesIsReported() throws {
    let content = Self.sampleContent(seed: 6)
    let path = Self.write(Self.gzip(content) + Array(repeating: 0x41, count: 30), "trailing-gzip")
    defer { unlink(path) }
    let (got, result) = Self.read(path, maxLine: 1000, chunk: 1 << 20)
    let problem = try #require(result.problem)
    #expect(problem.reason.contains("gzip"))
    // Every complete line came through; the unfinished last one of a damaged stream does not.
    let want = Self.expected(content, maxLine: 1000).lines
    let complete = got.lines.count == want.count - 1 && Array(want.prefix(got.lines.count)) == got.lines
    #expect(complete)
  }

  @Test(arguments: ["gzip", "zstd"])
  func truncatedArchiveIsReportedAfterItsGoodLines(format: String) throws {
    // Several zstd blocks (128 KiB each), since a cut block yields nothing.
    let content = Self.sampleContent(seed: 9, lines: 6000)
    let stored = format == "gzip" ? Self.gzip(content) : Self.zstd(content)
    let path = Self.write(Array(stored[0..<(stored.count * 2 / 3)]), "trunc-\(format)")
    defer { unlink(path) }
    let (got, result) = Self.read(path, maxLine: 1000, chunk: 1000)
    let problem = try #require(result.problem)
    #expect(problem.reason.contains("truncated"))
    let want = Self.expected(content, maxLine: 1000)
    // Every delivered line is a real, complete line of the original, in order.
    #expect(got.lines.count > 0 && got.lines.count < want.lines.count)
    #expect(Array(want.lines.prefix(got.lines.count)) == got.lines)
    #expect(Array(want.offsets.prefix(got.offsets.count)) == got.offsets)
    #expect(problem.offset == got.offsets.last.map { $0 + Int64(got.lines.last!.count) + 1 })
  }

  @Test(arguments: ["gzip", "zstd"])
  func corruptArchiveIsReportedNotFatal(format: String) throws {
    let content = Self.sampleContent(seed: 3)
    var stored = format == "gzip" ? Self.gzip(content) : Self.zstd(content)
    for i in stride(from: stored.count / 2, to: stored.count / 2 + 40, by: 1) { stored[i] ^= 0x5A }
    let path = Self.write(stored, "corrupt-\(format)")
    defer { unlink(path) }
    let (_, result) = Self.read(path, maxLine: 1000, chunk: 1000)
    let problem = try #require(result.problem)
    #expect(problem.reason.contains("corrupt") || problem.reason.contains("truncated"))
    #expect(problem.path == path)
  }

  @Test func emptyAndMissingFiles() {
    let empty = Self.write([], "empty")
    defer { unlink(empty) }
    let (got, result) = Self.read(empty, maxLine: 100, chunk: 100)
    #expect(got.lines.isEmpty && result.problem == nil && result.lines == 0)
    let (_, missing) = Self.read(Self.temporaryPath("does-not-exist"), maxLine: 100, chunk: 100)
    #expect(missing.problem?.reason.contains("cannot open") == true)
  }

  /// A mapped file cut short while it is read (here between hashing and line splitting, and
  /// before anything was touched) loses its tail to a reported problem, not the process to SIGBUS.
  @Test(arguments: [false, true])
  func fileTruncatedUnderTheMappingIsReported(beforeHashing: Bool) {
    let content = Self.sampleContent(lines: 40_000)
    #expect(content.count > LineReader.smallFileLimit)
    let path = Self.write(content, "shrinks-\(beforeHashing)")
    defer { unlink(path) }
    let keep = content.count / 3 + 17
    let reader = LineReader()
    var r = Read()
    var stored = 0
    let result = reader.read(
      path: path, decide: { _ in .lines },
      onLine: { line, offset in
        r.lines.append(Array(line))
        r.offsets.append(offset)
      }, onOverlong: { r.overlong.append($0) }, onWhole: { _ in },
      onStored: { bytes in
        if beforeHashing { truncate(path, off_t(keep)) }
        stored = bytes.reduce(0) { $0 &+ Int($1) }
        if !beforeHashing { truncate(path, off_t(keep)) }
      })
    // Exactly the lines that were whole before the cut, then the problem at the next one.
    let cut = Self.expected(Array(content[..<keep]), maxLine: 1 << 20)
    let whole = cut.lines.count - 1
    #expect(stored > 0)
    #expect(r.lines == Array(cut.lines[..<whole]))
    #expect(r.offsets == Array(cut.offsets[..<whole]))
    #expect(result.problem?.offset == cut.offsets[whole])
    #expect(result.problem?.reason.contains("shrank while being read") == true)
    #expect(result.shrank)
  }

  @Test func acceptCanSkipByContent() {
    let path = Self.write(Self.gzip(Array("{\"Records\":[]}\n".utf8)), "json-gz")
    defer { unlink(path) }
    let reader = LineReader()
    var lines = 0
    let result = reader.read(
      path: path, accept: { head in head.first == UInt8(ascii: "{") ? "json" : nil },
      onLine: { _, _ in lines += 1 }, onOverlong: { _ in })
    #expect(result.skipReason == "json")
    #expect(lines == 0)
  }

  @Test func discoveryIsRecursiveSortedAndSkipsHiddenFiles() throws {
    let root = Self.temporaryPath("tree")
    try FileManager.default.createDirectory(atPath: root + "/b/c", withIntermediateDirectories: true)
    for name in ["b/c/2", "b/1", "a", ".hidden", "b/.tmp"] {
      FileManager.default.createFile(atPath: "\(root)/\(name)", contents: Data("x\n".utf8))
    }
    try FileManager.default.createSymbolicLink(atPath: root + "/b/c/loop", withDestinationPath: root + "/b")
    defer { try? FileManager.default.removeItem(atPath: root) }
    let (files, problems) = InputDiscovery.discover([root])
    #expect(files.map { String($0.path.dropFirst(root.count + 1)) } == ["a", "b/1", "b/c/2"])
    #expect(problems.count == 1)
    #expect(problems.first?.reason.contains("already visited") == true)
  }
}

@Suite struct WholeContentTests {
  /// `given` reads with its own options (`max` applies to a reader made here).
  static func readWhole(_ path: String, max: Int = 1 << 20, reader given: LineReader? = nil)
    -> ([UInt8]?, FileReadResult)
  {
    var options = LineReaderOptions()
    options.maxWholeBytes = max
    options.chunkSize = 4096
    let reader = given ?? LineReader(options: options)
    var content: [UInt8]?
    let result = reader.read(
      path: path, decide: { _ in .whole }, onLine: { _, _ in Issue.record("line delivered in whole mode") },
      onOverlong: { _ in }, onWhole: { content = Array($0) })
    return (content, result)
  }

  @Test(arguments: ["plain", "gzip", "zstd"])
  func wholeContentArrivesAsOneBuffer(format: String) {
    // One long line, far larger than the line buffer used here.
    let content = Array(String(repeating: "{\"eventName\":\"x\"},", count: 20_000).utf8)
    let stored =
      format == "gzip" ? LineReaderTests.gzip(content) : format == "zstd" ? LineReaderTests.zstd(content) : content
    let path = LineReaderTests.write(stored, "whole-\(format)")
    defer { unlink(path) }
    let (got, result) = Self.readWhole(path)
    #expect(got?.count == content.count)
    #expect(got.map { $0 == content } == true)
    #expect(result.mode == .whole)
    #expect(result.problem == nil)
    #expect(result.contentBytes == Int64(content.count))
  }

  /// A document starts in the line buffer's free space and moves to memory of its own only
  /// when it outgrows it; one reader serves documents of both kinds in turn.
  @Test(arguments: ["plain", "gzip", "zstd"])
  func documentsLargerThanTheLineBufferAndThenSmallerOnes(format: String) {
    func stored(_ content: [UInt8]) -> [UInt8] {
      format == "gzip" ? LineReaderTests.gzip(content) : format == "zstd" ? LineReaderTests.zstd(content) : content
    }
    let large = Array(String(repeating: "{\"eventName\":\"large\"},", count: 20_000).utf8)
    let small = Array(String(repeating: "{\"eventName\":\"s\"},", count: 100).utf8)
    var options = LineReaderOptions()
    options.chunkSize = 4096
    options.maxLineLength = 4096
    let reader = LineReader(options: options)
    for (i, content) in [small, large, small, large].enumerated() {
      let path = LineReaderTests.write(stored(content), "grow-\(format)-\(i)")
      defer { unlink(path) }
      let (got, result) = Self.readWhole(path, reader: reader)
      #expect(got.map { $0 == content } == true, "document \(i)")
      #expect(result.contentBytes == Int64(content.count))
    }
  }

  @Test(arguments: ["gzip", "zstd"])
  func contentPastTheLimitIsAClearProblem(format: String) throws {
    let content = [UInt8](repeating: UInt8(ascii: " "), count: 300_000)
    let stored = format == "gzip" ? LineReaderTests.gzip(content) : LineReaderTests.zstd(content)
    let path = LineReaderTests.write(stored, "bomb-\(format)")
    defer { unlink(path) }
    let (got, result) = Self.readWhole(path, max: 100_000)
    #expect(got == nil, "content delivered despite the limit")
    let problem = try #require(result.problem)
    #expect(problem.reason.contains("larger than the limit of 100000 bytes"))
  }
}

@Suite struct RangeReadTests {
  /// Reading a plain file in shares yields every line exactly once, wherever the cuts fall,
  /// whether the file is read into the reader's buffer (small files) or mapped (a buffer too
  /// small to hold it).
  @Test(arguments: [1, 7, 100, 4096], [4 << 20, 64])
  func sharesCoverEveryLineOnce(share: Int, chunk: Int) {
    let content = LineReaderTests.sampleContent(seed: 11, lines: 300)
    let path = LineReaderTests.write(content, "ranges-\(share)-\(chunk)")
    defer { unlink(path) }
    var options = LineReaderOptions()
    options.chunkSize = chunk
    options.maxLineLength = 1000
    let reader = LineReader(options: options)
    var offsets: [Int64] = []
    var lines: [[UInt8]] = []
    var start: Int64 = 0
    var total: Int64 = 0
    while start < Int64(content.count) {
      let end = min(Int64(content.count), start + Int64(share))
      let result = reader.read(
        path: path, range: start..<end, decide: { _ in .lines },
        onLine: { line, offset in
          lines.append(Array(line))
          offsets.append(offset)
        }, onOverlong: { offsets.append($0) }, onWhole: { _ in })
      total += result.lines
      start = end
    }
    let whole = LineReaderTests.expected(content, maxLine: 1 << 20)
    #expect(offsets == whole.offsets)
    #expect(lines == whole.lines)
    #expect(total == Int64(whole.lines.count))
  }
}
