#if canImport(Glibc)
  import Glibc
#endif

/// File names as text. Linux names are bytes: one that is not valid UTF-8 is written with each
/// byte of an invalid sequence as `\xHH`, so it still names its file in summaries, the manifest
/// and `source_file`, and `open` turns the text back into the bytes. (A name holding the text
/// `\x` and two hex digits of 80 to FF is read as that byte; such names are not real log names.)
public enum PathText {
  /// The text of a file name's bytes.
  public static func text(_ bytes: UnsafeRawBufferPointer) -> String {
    if UTF8Sanitizer.isValid(bytes) { return String(decoding: bytes, as: UTF8.self) }
    var out: [UInt8] = []
    var i = 0
    while i < bytes.count {
      let length = UTF8Sanitizer.sequenceLength(bytes, i)
      if length > 0 {
        out.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[i..<(i + length)]))
        i += length
      } else {
        out.append(contentsOf: "\\x".utf8)
        Hex.append(UnsafeRawBufferPointer(rebasing: bytes[i..<(i + 1)]), to: &out)
        i += 1
      }
    }
    return String(decoding: out, as: UTF8.self)
  }

  /// The bytes a file name's text stands for, NUL-terminated, for `open` and `stat`.
  public static func fileSystemBytes(_ text: String) -> [CChar] {
    var out: [CChar] = []
    let u = Array(text.utf8)
    var i = 0
    while i < u.count {
      if u[i] == UInt8(ascii: "\\"), i + 3 < u.count, u[i + 1] == UInt8(ascii: "x"),
        let hi = PercentDecoding.hexValue(u[i + 2]), let lo = PercentDecoding.hexValue(u[i + 3]), hi >= 8
      {
        out.append(CChar(bitPattern: hi << 4 | lo))
        i += 4
      } else {
        out.append(CChar(bitPattern: u[i]))
        i += 1
      }
    }
    out.append(0)
    return out
  }

  /// `open(2)` of a file name's text.
  public static func openFile(_ text: String, _ flags: Int32) -> Int32 {
    fileSystemBytes(text).withUnsafeBufferPointer { open($0.baseAddress!, flags) }
  }

  /// `stat(2)` of a file name's text.
  public static func statFile(_ text: String, _ st: inout stat) -> Int32 {
    fileSystemBytes(text).withUnsafeBufferPointer { stat($0.baseAddress!, &st) }
  }
}
