import Crypto
import LogBytes

#if canImport(Glibc)
  import Glibc
#endif

/// SHA-256 of an input's stored bytes, fed as the reader goes (about 1.7 GB/s a core with SHA
/// extensions, a few percent of an indexing run): the manifest's record of what was indexed,
/// and how a rerun tells a touched file from a changed one.
public struct ContentHasher {
  private var hash = SHA256()
  public private(set) var bytes: Int64 = 0

  public init() {}

  public mutating func update(_ chunk: UnsafeRawBufferPointer) {
    hash.update(bufferPointer: chunk)
    bytes += Int64(chunk.count)
  }

  /// `sha256:` and the digest in lower-case hex, built as bytes: sixty-four one-digit strings
  /// joined had cost 4% of a run over 91,000 small files.
  public func finalize() -> String {
    var text = Array("sha256:".utf8)
    hash.finalize().withUnsafeBytes { Hex.append($0, to: &text) }
    return String(decoding: text, as: UTF8.self)
  }

  /// Hashes `range` of the file at `path` (nil if it cannot be read in full).
  public static func hash(path: String, range: Range<Int64>) -> String? {
    let fd = PathText.openFile(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var hasher = ContentHasher()
    var buffer = [UInt8](repeating: 0, count: 1 << 20)
    var offset = range.lowerBound
    while offset < range.upperBound {
      let want = Int(min(Int64(buffer.count), range.upperBound - offset))
      let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, want, off_t(offset)) }
      if n < 0 && errno == EINTR { continue }
      guard n > 0 else { return nil }
      buffer.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
      offset += Int64(n)
    }
    return hasher.finalize()
  }
}
