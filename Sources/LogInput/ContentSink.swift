/// How the content of a file is to be consumed, decided from its first bytes.
public enum ContentMode: Sendable, Equatable {
  /// Line by line (S3 access logs): bounded memory whatever the size.
  case lines
  /// As one buffer (JSON documents such as CloudTrail files, often a single multi-MB line).
  case whole
  /// Not at all, for the given reason.
  case skip(String)
}

/// Where decompressed bytes go: first into the line buffer, then, once the first bytes have
/// decided the mode, either on through the line splitter or into one growing buffer.
struct ContentSink {
  var splitter: LineSplitter
  let decide: (UnsafeRawBufferPointer) -> ContentMode
  let maxWholeBytes: Int
  private(set) var mode: ContentMode?
  private(set) var whole: UnsafeMutableRawPointer?
  private(set) var wholeCount = 0
  private var wholeCapacity = 0
  /// Whether `whole` is the free part of the line buffer, where the first bytes were written:
  /// a document that fits there (a CloudTrail delivery inflated at once) is neither copied nor
  /// given pages of its own. It moves to memory of its own only if it outgrows that space.
  private var wholeBorrowed = false

  init(splitter: LineSplitter, maxWholeBytes: Int, decide: @escaping (UnsafeRawBufferPointer) -> ContentMode) {
    self.splitter = splitter
    self.maxWholeBytes = maxWholeBytes
    self.decide = decide
  }

  var isWhole: Bool { mode == .whole }

  var writePointer: UnsafeMutableRawPointer {
    isWhole ? whole! + wholeCount : splitter.writePointer
  }

  /// Free bytes at `writePointer`; grows the whole buffer when it is full.
  mutating func freeSpace() -> Int {
    guard isWhole else { return splitter.freeSpace }
    if wholeCount == wholeCapacity {
      let newCapacity = min(max(wholeCapacity * 2, 1 << 20), maxWholeBytes + 1)
      if newCapacity > wholeCapacity {
        if wholeBorrowed {
          let own = UnsafeMutableRawPointer.allocate(byteCount: newCapacity, alignment: 16)
          own.copyMemory(from: whole!, byteCount: wholeCount)
          whole = own
          wholeBorrowed = false
        } else {
          whole = whole!.reallocated(from: wholeCapacity, to: newCapacity)
        }
        wholeCapacity = newCapacity
      }
    }
    return wholeCapacity - wholeCount
  }

  /// Takes `count` bytes written at `writePointer`; returns a skip reason or an error text when
  /// the content must not be read further.
  mutating func commit(_ count: Int) -> String? {
    guard count > 0 else { return nil }
    if mode == nil {
      let head = UnsafeRawBufferPointer(start: splitter.writePointer, count: min(count, 4096))
      let decided = decide(head)
      mode = decided
      switch decided {
      case .skip(let reason): return reason
      case .whole:
        whole = splitter.writePointer
        wholeCapacity = splitter.freeSpace
        wholeBorrowed = true
        wholeCount = count
        return wholeCount > maxWholeBytes ? overLimit : nil
      case .lines: break
      }
    }
    if isWhole {
      wholeCount += count
      return wholeCount > maxWholeBytes ? overLimit : nil
    }
    splitter.commit(count)
    return nil
  }

  private var overLimit: String {
    "decompressed content is larger than the limit of \(maxWholeBytes) bytes for one JSON file"
  }

  func release() { if !wholeBorrowed { whole?.deallocate() } }
}

extension UnsafeMutableRawPointer {
  func reallocated(from oldCount: Int, to newCount: Int) -> UnsafeMutableRawPointer {
    let p = UnsafeMutableRawPointer.allocate(byteCount: newCount, alignment: 16)
    p.copyMemory(from: self, byteCount: oldCount)
    deallocate()
    return p
  }
}
