import CZlib
import CZstd

#if canImport(Glibc)
  import Glibc
#endif

public struct LineReaderOptions: Sendable {
  /// Longest line accepted; a longer one is reported (file, offset) and skipped to its newline.
  public var maxLineLength = 1 << 20
  /// Decompressed bytes handled per step; memory per reader is about this plus `maxLineLength`.
  public var chunkSize = 4 << 20

  public init() {}
}

/// What reading one file produced, besides the lines themselves.
public struct FileReadResult: Sendable {
  public var compression: Compression = .none
  /// Bytes of content after decompression (equal to the file size for plain files).
  public var contentBytes: Int64 = 0
  public var lines: Int64 = 0
  /// Set when the caller's `accept` check turned the file down.
  public var skipReason: String?
  /// Set when the file could not be read to its end; the lines before the problem were delivered.
  public var problem: InputProblem?
}

/// Reads plain, gzip and zstd files as a sequence of lines with their byte offsets.
///
/// Plain files are memory-mapped and lines are views into the mapping (zero copies); compressed
/// files are inflated into one reused buffer. Memory stays bounded whatever the file size.
/// A reader is reused from file to file and is not shared between threads.
public final class LineReader {
  public let options: LineReaderOptions
  private let buffer: UnsafeMutableRawPointer
  private let capacity: Int
  private let inputBlock: UnsafeMutableRawPointer
  private static let inputBlockSize = 256 << 10
  private var zstdContext: OpaquePointer?

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
  }

  public typealias LineHandler = (_ line: UnsafeRawBufferPointer, _ offset: Int64) -> Void
  public typealias OverlongHandler = (_ offset: Int64) -> Void

  /// Reads `path`. `accept` sees the first bytes of the content (after decompression) and returns
  /// a reason to skip the file, or nil to read it.
  public func read(
    path: String, accept: (UnsafeRawBufferPointer) -> String?, onLine: LineHandler,
    onOverlong: OverlongHandler
  ) -> FileReadResult {
    var result = FileReadResult()
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else {
      result.problem = InputProblem(path: path, reason: "cannot open: \(errnoDescription())")
      return result
    }
    defer { close(fd) }
    var st = stat()
    guard fstat(fd, &st) == 0 else {
      result.problem = InputProblem(path: path, reason: "cannot stat: \(errnoDescription())")
      return result
    }
    let size = Int(st.st_size)
    var head = [UInt8](repeating: 0, count: 4)
    let headCount = pread(fd, &head, 4, 0)
    result.compression = head.withUnsafeBytes {
      Compression.detect(UnsafeRawBufferPointer(rebasing: $0[0..<max(0, headCount)]))
    }
    if result.compression == .none {
      readPlain(
        fd: fd, size: size, path: path, accept: accept, result: &result, onLine: onLine,
        onOverlong: onOverlong)
      return result
    }
    // The splitter only lives for this call, so the handlers do not really escape.
    withoutActuallyEscaping(onLine) { onLine in
      withoutActuallyEscaping(onOverlong) { onOverlong in
        var splitter = LineSplitter(
          buffer: buffer, capacity: capacity, maxLineLength: options.maxLineLength, onLine: onLine,
          onOverlong: onOverlong)
        if result.compression == .gzip {
          readGzip(fd: fd, path: path, accept: accept, splitter: &splitter, result: &result)
        } else {
          readZstd(fd: fd, path: path, accept: accept, splitter: &splitter, result: &result)
        }
        if result.problem != nil {
          // A damaged stream: its unfinished last line is not trustworthy. The problem's offset
          // is where the undelivered bytes start.
          result.problem?.offset = splitter.streamOffset
          result.contentBytes = splitter.streamOffset + Int64(splitter.pending)
        } else if result.skipReason == nil {
          splitter.finish()
          result.contentBytes = splitter.streamOffset
        }
        result.lines = splitter.lines
      }
    }
    return result
  }

  // MARK: plain

  private func readPlain(
    fd: Int32, size: Int, path: String, accept: (UnsafeRawBufferPointer) -> String?,
    result: inout FileReadResult, onLine: LineHandler, onOverlong: OverlongHandler
  ) {
    result.contentBytes = Int64(size)
    guard size > 0 else {
      result.skipReason = accept(UnsafeRawBufferPointer(start: nil, count: 0))
      return
    }
    guard let map = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), map != MAP_FAILED else {
      result.problem = InputProblem(path: path, reason: "cannot map: \(errnoDescription())")
      return
    }
    defer { munmap(map, size) }
    _ = madvise(map, size, MADV_SEQUENTIAL)
    let all = UnsafeRawBufferPointer(start: map, count: size)
    if let reason = accept(UnsafeRawBufferPointer(rebasing: all[0..<min(size, 4096)])) {
      result.skipReason = reason
      return
    }
    var lineStart = 0
    var lines: Int64 = 0
    while lineStart < size {
      let remaining = size - lineStart
      let nl = memchr(map + lineStart, 10, remaining)
      let lineEnd = nl.map { UnsafeRawPointer($0) - UnsafeRawPointer(map) } ?? size
      if lineEnd - lineStart > options.maxLineLength {
        onOverlong(Int64(lineStart))
      } else {
        onLine(UnsafeRawBufferPointer(rebasing: all[lineStart..<lineEnd]), Int64(lineStart))
      }
      lines += 1
      lineStart = lineEnd + 1
    }
    result.lines = lines
  }

  // MARK: gzip

  private func readGzip(
    fd: Int32, path: String, accept: (UnsafeRawBufferPointer) -> String?, splitter: inout LineSplitter,
    result: inout FileReadResult
  ) {
    var stream = z_stream()
    // 15 + 32: zlib or gzip header, detected automatically.
    guard inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
      result.problem = InputProblem(path: path, reason: "zlib initialisation failed")
      return
    }
    defer { inflateEnd(&stream) }
    var compressedOffset: Int64 = 0
    var checkedHead = false
    var ended = false
    var inputEOF = false
    while true {
      if stream.avail_in == 0 && !inputEOF {
        let n = Glibc.read(fd, inputBlock, Self.inputBlockSize)
        if n < 0 {
          result.problem = InputProblem(
            path: path, offset: splitter.streamOffset, reason: "read error: \(errnoDescription())")
          return
        }
        if n == 0 {
          inputEOF = true
        } else {
          stream.next_in = inputBlock.assumingMemoryBound(to: Bytef.self)
          stream.avail_in = uInt(n)
          compressedOffset += Int64(n)
        }
      }
      if inputEOF && stream.avail_in == 0 {
        if !ended {
          result.problem = InputProblem(
            path: path, offset: splitter.streamOffset + Int64(splitter.pending),
            reason: "truncated gzip stream (ends before the end of its last member)")
        }
        return
      }
      if ended {
        // Another gzip member follows (concatenated .gz files are valid gzip).
        inflateReset(&stream)
        ended = false
      }
      let space = splitter.freeSpace
      stream.next_out = splitter.writePointer.assumingMemoryBound(to: Bytef.self)
      stream.avail_out = uInt(space)
      let rc = inflate(&stream, Z_NO_FLUSH)
      let produced = space - Int(stream.avail_out)
      if rc == Z_STREAM_END {
        ended = true
      } else if rc != Z_OK && rc != Z_BUF_ERROR {
        let message = stream.msg.map { String(cString: $0) } ?? "code \(rc)"
        result.problem = InputProblem(
          path: path, offset: splitter.streamOffset + Int64(splitter.pending) + Int64(produced),
          reason: "corrupt gzip data (\(message)) near compressed byte \(compressedOffset - Int64(stream.avail_in))")
        splitter.commit(produced)
        return
      }
      if !checkedHead && produced > 0 {
        checkedHead = true
        if let reason = accept(UnsafeRawBufferPointer(start: splitter.writePointer, count: min(produced, 4096))) {
          result.skipReason = reason
          return
        }
      }
      splitter.commit(produced)
    }
  }

  // MARK: zstd

  private func readZstd(
    fd: Int32, path: String, accept: (UnsafeRawBufferPointer) -> String?, splitter: inout LineSplitter,
    result: inout FileReadResult
  ) {
    if zstdContext == nil { zstdContext = ZSTD_createDCtx() }
    guard let ctx = zstdContext else {
      result.problem = InputProblem(path: path, reason: "zstd initialisation failed")
      return
    }
    ZSTD_DCtx_reset(ctx, ZSTD_reset_session_only)
    var input = ZSTD_inBuffer(src: inputBlock, size: 0, pos: 0)
    var checkedHead = false
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
              path: path, offset: splitter.streamOffset + Int64(splitter.pending),
              reason: "truncated zstd stream (last frame incomplete)")
          }
          return
        }
        input = ZSTD_inBuffer(src: inputBlock, size: n, pos: 0)
        compressedOffset += Int64(n)
      }
      let space = splitter.freeSpace
      var output = ZSTD_outBuffer(dst: splitter.writePointer, size: space, pos: 0)
      let hint = ZSTD_decompressStream(ctx, &output, &input)
      if ZSTD_isError(hint) != 0 {
        result.problem = InputProblem(
          path: path, offset: splitter.streamOffset + Int64(splitter.pending) + Int64(output.pos),
          reason:
            "corrupt zstd data (\(String(cString: ZSTD_getErrorName(hint)))) near compressed byte \(compressedOffset - Int64(input.size - input.pos))"
        )
        splitter.commit(output.pos)
        return
      }
      lastHint = hint
      if !checkedHead && output.pos > 0 {
        checkedHead = true
        if let reason = accept(UnsafeRawBufferPointer(start: splitter.writePointer, count: min(output.pos, 4096))) {
          result.skipReason = reason
          return
        }
      }
      splitter.commit(output.pos)
    }
  }
}
