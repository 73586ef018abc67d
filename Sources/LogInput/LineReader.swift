import CDeflate
import CLinux
import CZlib
import CZstd
import LogBytes

#if canImport(Glibc)
  import Glibc
#endif

public struct LineReaderOptions: Sendable {
  /// Longest line accepted; a longer one is reported (file, offset) and skipped to its newline.
  public var maxLineLength = 1 << 20
  /// Decompressed bytes handled per step; memory per reader is about this plus `maxLineLength`.
  public var chunkSize = 4 << 20
  /// Largest decompressed content read as one buffer (`ContentMode.whole`).
  public var maxWholeBytes = 256 << 20

  public init() {}
}

/// What reading one file produced, besides the content itself.
public struct FileReadResult: Sendable {
  public var compression: Compression = .none
  public var mode: ContentMode?
  /// Bytes of content after decompression (equal to the file size for plain files).
  public var contentBytes: Int64 = 0
  /// Lines delivered or reported as overlong (line mode).
  public var lines: Int64 = 0
  /// Set when the first bytes turned the file down.
  public var skipReason: String?
  /// Set when the file could not be read to its end; the content before the problem was delivered
  /// in line mode, and nothing was delivered in whole mode.
  public var problem: InputProblem?
  /// The file shrank while it was read: what was hashed is not its content.
  public var shrank = false
  /// Stored bytes handed to `onStored` (all of the range, unless reading stopped early).
  public var storedBytes: Int64 = 0
  /// Size and modification time of the file when it was opened (a file that grows or is
  /// rewritten during a run differs from what discovery saw).
  public var fileSize: Int64 = 0
  public var modifiedNanos: Int64 = 0
}

/// Reads plain, gzip and zstd files, as lines with their byte offsets or as one buffer.
///
/// Plain files are memory-mapped and lines are views into the mapping (zero copies), except
/// small ones, read into the reader's buffer (cheaper than mapping and unmapping them);
/// compressed files are inflated into one reused buffer. Memory stays bounded whatever the
/// file size.
/// A reader is reused from file to file and is not shared between threads.
public final class LineReader {
  public let options: LineReaderOptions
  private let buffer: UnsafeMutableRawPointer
  private let capacity: Int
  private let inputBlock: UnsafeMutableRawPointer
  private static let inputBlockSize = 256 << 10
  private var zstdContext: OpaquePointer?
  private var deflater: OpaquePointer?
  /// Largest gzip file inflated at once (see `readGzipAtOnce`).
  private static let atOnceLimit = 16 << 20

  public init(options: LineReaderOptions = LineReaderOptions()) {
    self.options = options
    capacity = options.chunkSize + options.maxLineLength
    buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
    inputBlock = UnsafeMutableRawPointer.allocate(byteCount: Self.inputBlockSize, alignment: 16)
  }

  deinit {
    buffer.deallocate()
    inputBlock.deallocate()
    if let zstdContext { ZSTD_freeDCtx(zstdContext) }
    if let deflater { libdeflate_free_decompressor(deflater) }
  }

  public typealias LineHandler = (_ line: UnsafeRawBufferPointer, _ offset: Int64) -> Void
  public typealias OverlongHandler = (_ offset: Int64) -> Void
  public typealias WholeHandler = (_ content: UnsafeRawBufferPointer) -> Void
  /// Sees the stored (possibly compressed) bytes of the range read, in order: for content hashes.
  public typealias StoredHandler = (_ stored: UnsafeRawBufferPointer) -> Void

  /// Reads `path` line by line; `accept` sees the first bytes and returns a reason to skip, or nil.
  public func read(
    path: String, accept: (UnsafeRawBufferPointer) -> String?, onLine: LineHandler,
    onOverlong: OverlongHandler
  ) -> FileReadResult {
    read(
      path: path, decide: { head in accept(head).map { .skip($0) } ?? .lines }, onLine: onLine,
      onOverlong: onOverlong, onWhole: { _ in })
  }

  /// Reads `path`; `decide` sees the first bytes of the content (after decompression) and picks
  /// how the rest is consumed.
  /// `range`, for plain files only, limits reading to the lines that start inside it (a line
  /// that starts inside runs to its end), so several readers can share one large file.
  public func read(
    path: String, range: Range<Int64>? = nil, decide: (UnsafeRawBufferPointer) -> ContentMode,
    onLine: LineHandler, onOverlong: OverlongHandler, onWhole: WholeHandler, onStored: StoredHandler = { _ in }
  ) -> FileReadResult {
    read(
      fd: nil, path: path, range: range, decide: decide, onLine: onLine, onOverlong: onOverlong, onWhole: onWhole,
      onStored: onStored)
  }

  /// Reads `fd` when given (an open file positioned at its start, left open: an object fetched
  /// from S3 into memory is read as a local file is), else opens `path`.
  public func read(
    fd given: Int32?, path: String, range: Range<Int64>? = nil, decide: (UnsafeRawBufferPointer) -> ContentMode,
    onLine: LineHandler, onOverlong: OverlongHandler, onWhole: WholeHandler, onStored: StoredHandler = { _ in }
  ) -> FileReadResult {
    if let given {
      return read(
        openFD: given, path: path, range: range, decide: decide, onLine: onLine, onOverlong: onOverlong,
        onWhole: onWhole, onStored: onStored)
    }
    let fd = PathText.openFile(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else {
      var result = FileReadResult()
      result.problem = InputProblem(path: path, reason: "cannot open: \(errnoDescription())")
      return result
    }
    defer { close(fd) }
    return read(
      openFD: fd, path: path, range: range, decide: decide, onLine: onLine, onOverlong: onOverlong, onWhole: onWhole,
      onStored: onStored)
  }

  private func read(
    openFD fd: Int32, path: String, range: Range<Int64>? = nil, decide: (UnsafeRawBufferPointer) -> ContentMode,
    onLine: LineHandler, onOverlong: OverlongHandler, onWhole: WholeHandler, onStored: StoredHandler = { _ in }
  ) -> FileReadResult {
    var result = FileReadResult()
    var st = stat()
    guard fstat(fd, &st) == 0 else {
      result.problem = InputProblem(path: path, reason: "cannot stat: \(errnoDescription())")
      return result
    }
    let size = Int(st.st_size)
    result.fileSize = Int64(size)
    result.modifiedNanos = Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
    var head = [UInt8](repeating: 0, count: 4)
    let headCount = pread(fd, &head, 4, 0)
    result.compression = head.withUnsafeBytes {
      Compression.detect(UnsafeRawBufferPointer(rebasing: $0[0..<max(0, headCount)]))
    }
    if result.compression == .none {
      readPlain(
        fd: fd, size: size, range: range, path: path, decide: decide, result: &result, onLine: onLine,
        onOverlong: onOverlong, onWhole: onWhole, onStored: onStored)
      return result
    }
    // The sink only lives for this call, so the handlers do not really escape.
    withoutActuallyEscaping(onLine) { onLine in
      withoutActuallyEscaping(onOverlong) { onOverlong in
        withoutActuallyEscaping(decide) { decide in
          var sink = ContentSink(
            splitter: LineSplitter(
              buffer: buffer, capacity: capacity, maxLineLength: options.maxLineLength, onLine: onLine,
              onOverlong: onOverlong),
            maxWholeBytes: options.maxWholeBytes, decide: decide)
          defer { sink.release() }
          if result.compression == .gzip {
            if !readGzipAtOnce(fd: fd, size: size, path: path, sink: &sink, result: &result, onStored: onStored) {
              readGzip(fd: fd, path: path, sink: &sink, result: &result, onStored: onStored)
            }
          } else {
            readZstd(fd: fd, path: path, sink: &sink, result: &result, onStored: onStored)
          }
          result.mode = sink.mode ?? .lines
          if result.skipReason != nil { return }
          if sink.isWhole {
            result.contentBytes = Int64(sink.wholeCount)
            if result.problem == nil { onWhole(UnsafeRawBufferPointer(start: sink.whole, count: sink.wholeCount)) }
            return
          }
          if result.problem != nil {
            // A damaged stream: its unfinished last line is not trustworthy. The problem's offset
            // is where the undelivered bytes start.
            result.problem?.offset = sink.splitter.streamOffset
            result.contentBytes = sink.splitter.streamOffset + Int64(sink.splitter.pending)
          } else {
            sink.splitter.finish()
            result.contentBytes = sink.splitter.streamOffset
          }
          result.lines = sink.splitter.lines
        }
      }
    }
    return result
  }

  // MARK: plain

  /// Plain files up to this size are read, larger ones mapped.
  static let smallFileLimit = 1 << 20

  /// Reads up to `count` bytes from the start of `fd`; returns how many there were (fewer when
  /// the file shrank since it was measured).
  private static func readFully(_ fd: Int32, into buffer: UnsafeMutableRawPointer, count: Int) -> Int {
    var got = 0
    while got < count {
      let n = pread(fd, buffer + got, count - got, off_t(got))
      if n > 0 {
        got += n
      } else if n < 0 && errno == EINTR {
        continue
      } else {
        break
      }
    }
    return got
  }

  private func readPlain(
    fd: Int32, size: Int, range: Range<Int64>?, path: String, decide: (UnsafeRawBufferPointer) -> ContentMode,
    result: inout FileReadResult, onLine: LineHandler, onOverlong: OverlongHandler, onWhole: WholeHandler,
    onStored: StoredHandler
  ) {
    var rangeStart = Int(min(range?.lowerBound ?? 0, Int64(size)))
    var rangeEnd = Int(min(range?.upperBound ?? Int64(size), Int64(size)))
    result.contentBytes = Int64(rangeEnd - rangeStart)
    guard size > 0 else {
      result.mode = .lines
      return
    }
    // A small file (an access-log delivery is a few KB) is read into the reader's buffer: its
    // mapping cost more than its lines, above all the unmapping, which stops the other
    // threads to flush their TLBs (measured: munmap was 13% of a run over 91,000 files of 8 KB).
    let small = size <= min(Self.smallFileLimit, capacity)
    let map: UnsafeMutableRawPointer
    var size = size
    // Where the file ended sooner than measured: it shrank while read (logrotate's
    // copytruncate, a sync tool rewriting it). Lines from there on are not delivered.
    var vanishedAt: Int?
    if small {
      let got = Self.readFully(fd, into: buffer, count: size)
      if got < size { vanishedAt = got }
      size = got
      map = buffer
    } else {
      guard let mapped = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), mapped != MAP_FAILED else {
        result.problem = InputProblem(path: path, reason: "cannot map: \(errnoDescription())")
        return
      }
      map = mapped
      _ = madvise(map, size, MADV_SEQUENTIAL)
      // A page the file lost reads as zeros instead of raising SIGBUS; checked below.
      sigtrail_guard_begin(map, size)
    }
    defer {
      if !small {
        _ = sigtrail_guard_end()
        munmap(map, size)
      }
    }
    func shrank() -> Int? {
      if small { return vanishedAt }
      let fault = sigtrail_guard_fault()
      return fault < 0 ? nil : Int(fault)
    }
    let all = UnsafeRawBufferPointer(start: map, count: size)
    if let end = vanishedAt {
      rangeStart = min(rangeStart, end)
      rangeEnd = min(rangeEnd, end)
    }
    onStored(UnsafeRawBufferPointer(rebasing: all[rangeStart..<rangeEnd]))
    result.storedBytes = Int64(rangeEnd - rangeStart)
    result.contentBytes = Int64(rangeEnd - rangeStart)
    func reportShrink(_ end: Int) {
      result.shrank = true
      result.problem = InputProblem(
        path: path, offset: Int64(end),
        reason: "the file shrank while being read (truncated or rewritten): content from here on is not indexed")
    }
    let mode = decide(UnsafeRawBufferPointer(rebasing: all[0..<min(size, 4096)]))
    result.mode = mode
    switch mode {
    case .skip(let reason):
      result.skipReason = reason
      return
    case .whole:
      if let end = shrank() {
        reportShrink(end)
      } else if rangeStart == 0 {
        onWhole(all)
      }
      return
    case .lines:
      break
    }
    var lineStart = 0
    if rangeStart > 0 {
      // The line that starts before the range belongs to the reader of the previous range.
      let nl = memchr(map + rangeStart - 1, 10, size - rangeStart + 1)
      lineStart = nl.map { UnsafeRawPointer($0) - UnsafeRawPointer(map) + 1 } ?? size
    }
    var lines: Int64 = 0
    while lineStart < rangeEnd {
      let remaining = size - lineStart
      let nl = memchr(map + lineStart, 10, remaining)
      let lineEnd = nl.map { UnsafeRawPointer($0) - UnsafeRawPointer(map) } ?? size
      // A line reaching into what vanished is not the file's: stop at its start.
      if let end = shrank(), lineEnd >= end {
        reportShrink(lineStart)
        break
      }
      if lineEnd - lineStart > options.maxLineLength {
        onOverlong(Int64(lineStart))
      } else {
        onLine(UnsafeRawBufferPointer(rebasing: all[lineStart..<lineEnd]), Int64(lineStart))
      }
      lines += 1
      lineStart = lineEnd + 1
    }
    if result.problem == nil, let end = shrank() { reportShrink(end) }
    result.lines = lines
  }

  /// Offset in the content where the next decompressed byte goes, for problem reports.
  private static func contentOffset(_ sink: ContentSink) -> Int64 {
    sink.isWhole ? Int64(sink.wholeCount) : sink.splitter.streamOffset + Int64(sink.splitter.pending)
  }

  /// Hands `produced` bytes to the sink; false when reading must stop.
  private static func deliver(
    _ produced: Int, _ sink: inout ContentSink, _ path: String, _ result: inout FileReadResult
  )
    -> Bool
  {
    let before = contentOffset(sink)
    guard let stop = sink.commit(produced) else { return true }
    if case .skip = sink.mode {
      result.skipReason = stop
    } else {
      result.problem = InputProblem(path: path, offset: before, reason: stop)
    }
    return false
  }

  // MARK: gzip

  /// A small gzip file (a CloudTrail delivery, a compressed log of a few MB) whose content fits
  /// the sink's free space is inflated member by member with libdeflate, about twice zlib's
  /// speed, straight into the sink. Anything else (too large, corrupt, cut short, trailing
  /// bytes) returns false before anything is delivered or hashed, for the streaming zlib reader,
  /// which reports exactly where a problem lies.
  private func readGzipAtOnce(
    fd: Int32, size: Int, path: String, sink: inout ContentSink, result: inout FileReadResult,
    onStored: StoredHandler
  ) -> Bool {
    guard size >= 18, size <= Self.atOnceLimit else { return false }
    // A small archive is read, not mapped (unmapping costs a TLB flush on every thread).
    let small = size <= Self.inputBlockSize
    let map: UnsafeMutableRawPointer
    if small {
      guard Self.readFully(fd, into: inputBlock, count: size) == size else { return false }
      map = inputBlock
    } else {
      guard let mapped = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), mapped != MAP_FAILED else { return false }
      map = mapped
      sigtrail_guard_begin(map, size)
    }
    defer {
      if !small {
        _ = sigtrail_guard_end()
        munmap(map, size)
      }
    }
    let stored = UnsafeRawBufferPointer(start: map, count: size)
    // The trailer's ISIZE: the last member's content size (mod 2^32), a first test of fit.
    let lastSize = Int(stored.loadUnaligned(fromByteOffset: size - 4, as: UInt32.self).littleEndian)
    let space = sink.freeSpace()
    guard lastSize <= space else { return false }
    if deflater == nil { deflater = libdeflate_alloc_decompressor() }
    guard let deflater else { return false }
    let out = sink.writePointer
    var consumed = 0
    var produced = 0
    while consumed < size {
      var used = 0
      var made = 0
      let rc = libdeflate_gzip_decompress_ex(
        deflater, map + consumed, size - consumed, out + produced, space - produced, &used, &made)
      guard rc == LIBDEFLATE_SUCCESS, used > 0 else { return false }
      consumed += used
      produced += made
    }
    // Zeros where the file shrank under the mapping: the streaming reader reports where it ends.
    guard small || sigtrail_guard_fault() < 0 else { return false }
    onStored(stored)
    result.storedBytes = Int64(size)
    _ = Self.deliver(produced, &sink, path, &result)
    return true
  }

  private func readGzip(
    fd: Int32, path: String, sink: inout ContentSink, result: inout FileReadResult, onStored: StoredHandler
  ) {
    var stream = z_stream()
    // 15 + 32: zlib or gzip header, detected automatically.
    guard inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
      result.problem = InputProblem(path: path, reason: "zlib initialisation failed")
      return
    }
    defer { inflateEnd(&stream) }
    var compressedOffset: Int64 = 0
    var ended = false
    var inputEOF = false
    while true {
      if stream.avail_in == 0 && !inputEOF {
        let n = Glibc.read(fd, inputBlock, Self.inputBlockSize)
        if n < 0 {
          result.problem = InputProblem(
            path: path, offset: Self.contentOffset(sink), reason: "read error: \(errnoDescription())")
          return
        }
        if n == 0 {
          inputEOF = true
        } else {
          stream.next_in = inputBlock.assumingMemoryBound(to: Bytef.self)
          stream.avail_in = uInt(n)
          compressedOffset += Int64(n)
          onStored(UnsafeRawBufferPointer(start: inputBlock, count: n))
          result.storedBytes += Int64(n)
        }
      }
      if inputEOF && stream.avail_in == 0 {
        if !ended {
          result.problem = InputProblem(
            path: path, offset: Self.contentOffset(sink),
            reason: "truncated gzip stream (ends before the end of its last member)")
        }
        return
      }
      if ended {
        // Another gzip member follows (concatenated .gz files are valid gzip).
        inflateReset(&stream)
        ended = false
      }
      let space = sink.freeSpace()
      stream.next_out = sink.writePointer.assumingMemoryBound(to: Bytef.self)
      stream.avail_out = uInt(space)
      let rc = inflate(&stream, Z_NO_FLUSH)
      let produced = space - Int(stream.avail_out)
      if rc == Z_STREAM_END {
        ended = true
      } else if rc != Z_OK && rc != Z_BUF_ERROR {
        let message = stream.msg.map { String(cString: $0) } ?? "code \(rc)"
        let at = Self.contentOffset(sink) + Int64(produced)
        _ = Self.deliver(produced, &sink, path, &result)
        result.problem = InputProblem(
          path: path, offset: at,
          reason: "corrupt gzip data (\(message)) near compressed byte \(compressedOffset - Int64(stream.avail_in))")
        return
      }
      guard Self.deliver(produced, &sink, path, &result) else { return }
    }
  }

  // MARK: zstd

  private func readZstd(
    fd: Int32, path: String, sink: inout ContentSink, result: inout FileReadResult, onStored: StoredHandler
  ) {
    if zstdContext == nil { zstdContext = ZSTD_createDCtx() }
    guard let ctx = zstdContext else {
      result.problem = InputProblem(path: path, reason: "zstd initialisation failed")
      return
    }
    ZSTD_DCtx_reset(ctx, ZSTD_reset_session_only)
    var input = ZSTD_inBuffer(src: inputBlock, size: 0, pos: 0)
    var lastHint = 0
    var compressedOffset: Int64 = 0
    while true {
      if input.pos == input.size {
        let n = Glibc.read(fd, inputBlock, Self.inputBlockSize)
        if n < 0 {
          result.problem = InputProblem(path: path, reason: "read error: \(errnoDescription())")
          return
        }
        if n == 0 {
          if lastHint != 0 {
            result.problem = InputProblem(
              path: path, offset: Self.contentOffset(sink), reason: "truncated zstd stream (last frame incomplete)")
          }
          return
        }
        input = ZSTD_inBuffer(src: inputBlock, size: n, pos: 0)
        compressedOffset += Int64(n)
        onStored(UnsafeRawBufferPointer(start: inputBlock, count: n))
        result.storedBytes += Int64(n)
      }
      let space = sink.freeSpace()
      var output = ZSTD_outBuffer(dst: sink.writePointer, size: space, pos: 0)
      let hint = ZSTD_decompressStream(ctx, &output, &input)
      if ZSTD_isError(hint) != 0 {
        let at = Self.contentOffset(sink) + Int64(output.pos)
        _ = Self.deliver(output.pos, &sink, path, &result)
        result.problem = InputProblem(
          path: path, offset: at,
          reason:
            "corrupt zstd data (\(String(cString: ZSTD_getErrorName(hint)))) near compressed byte \(compressedOffset - Int64(input.size - input.pos))"
        )
        return
      }
      lastHint = hint
      guard Self.deliver(output.pos, &sink, path, &result) else { return }
    }
  }
}
