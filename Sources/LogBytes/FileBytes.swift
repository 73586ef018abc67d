#if canImport(Glibc)
  import Glibc
#endif

/// A small file's bytes, whole (settings, credentials, manifest segments to upload).
public enum FileBytes {
  /// The bytes of `path`, or nil when it cannot be opened or holds more than `limit` bytes.
  public static func read(_ path: String, limit: Int = 64 << 20) -> [UInt8]? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
      let n = Glibc.read(fd, &chunk, chunk.count)
      if n < 0 && errno == EINTR { continue }
      if n < 0 { return nil }
      if n == 0 { return bytes }
      bytes += chunk[0..<n]
      if bytes.count > limit { return nil }
    }
  }
}
