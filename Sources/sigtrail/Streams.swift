#if canImport(Glibc)
  import Glibc
#endif

/// Standard output and error, written with write(2): a message that cannot be written (a full
/// disk under a redirected log, a closed pipe) is lost, and the run goes on. Foundation's
/// FileHandle.write traps on such an error, which would stop a run over a diagnostic.
enum Streams {
  static func error(_ text: String) { put(2, text) }
  static func output(_ text: String) { put(1, text) }

  static func put(_ fd: Int32, _ text: String) {
    var text = text
    text.withUTF8 { bytes in
      var done = 0
      while done < bytes.count {
        let n = write(fd, bytes.baseAddress! + done, bytes.count - done)
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { return }
        done += n
      }
    }
  }
}
