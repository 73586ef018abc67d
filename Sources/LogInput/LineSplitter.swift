#if canImport(Glibc)
  import Glibc
#endif

/// Cuts a decompressed byte stream, delivered in pieces into one fixed buffer, into lines.
///
/// The buffer holds at most one partial line between pieces. A line that outgrows
/// `maxLineLength` is reported once at its start offset and then discarded up to its newline,
/// so memory never grows with the input.
struct LineSplitter {
  let buffer: UnsafeMutableRawPointer
  let capacity: Int
  let maxLineLength: Int
  let onLine: LineReader.LineHandler
  let onOverlong: LineReader.OverlongHandler

  /// Bytes at the start of the buffer that belong to an unfinished line.
  private(set) var pending = 0
  /// Stream offset of `buffer[0]`.
  private(set) var streamOffset: Int64 = 0
  private(set) var lines: Int64 = 0
  private var skippingOverlong = false

  init(
    buffer: UnsafeMutableRawPointer, capacity: Int, maxLineLength: Int,
    onLine: @escaping LineReader.LineHandler, onOverlong: @escaping LineReader.OverlongHandler
  ) {
    self.buffer = buffer
    self.capacity = capacity
    self.maxLineLength = maxLineLength
    self.onLine = onLine
    self.onOverlong = onOverlong
  }

  var writePointer: UnsafeMutableRawPointer { buffer + pending }
  var freeSpace: Int { capacity - pending }

  /// Takes `count` new bytes written at `writePointer`.
  mutating func commit(_ count: Int) {
    guard count > 0 else { return }
    let filled = pending + count
    var lineStart = 0
    var scan = pending
    while scan < filled {
      guard let nl = memchr(buffer + scan, 10, filled - scan) else { break }
      let lineEnd = UnsafeRawPointer(nl) - UnsafeRawPointer(buffer)
      if skippingOverlong {
        skippingOverlong = false
      } else {
        emit(from: lineStart, to: lineEnd)
      }
      lineStart = lineEnd + 1
      scan = lineStart
    }
    var rest = filled - lineStart
    if skippingOverlong {
      // Still inside an overlong line: drop what arrived.
      streamOffset += Int64(filled)
      pending = 0
      return
    }
    if rest > maxLineLength {
      onOverlong(streamOffset + Int64(lineStart))
      lines += 1
      skippingOverlong = true
      streamOffset += Int64(filled)
      pending = 0
      return
    }
    if lineStart > 0 && rest > 0 { memmove(buffer, buffer + lineStart, rest) }
    if rest < 0 { rest = 0 }
    streamOffset += Int64(lineStart)
    pending = rest
  }

  /// Delivers the last line if the stream did not end with a newline.
  mutating func finish() {
    if pending > 0 && !skippingOverlong { emit(from: 0, to: pending) }
    streamOffset += Int64(pending)
    pending = 0
  }

  private mutating func emit(from start: Int, to end: Int) {
    lines += 1
    if end - start > maxLineLength {
      onOverlong(streamOffset + Int64(start))
    } else {
      onLine(UnsafeRawBufferPointer(start: buffer + start, count: end - start), streamOffset + Int64(start))
    }
  }
}
