/// Snappy raw-format decompression (pyarrow's and DuckDB's default Parquet codec).
///
/// Format: a varint uncompressed length, then literals and back-references. Every length and
/// offset is checked against the input and the declared output size.
enum SnappyDecompressor {
  static func decompress(_ input: UnsafeRawBufferPointer, expectedSize: Int) throws(ParquetError) -> [UInt8] {
    var p = 0
    var length: UInt64 = 0
    var shift: UInt64 = 0
    while true {
      guard p < input.count, shift < 35 else { throw ParquetError.corrupt("corrupt snappy data: bad length") }
      let b = input[p]
      p += 1
      length |= UInt64(b & 0x7F) << shift
      if b & 0x80 == 0 { break }
      shift += 7
    }
    guard length == UInt64(expectedSize) else {
      throw ParquetError.corrupt("corrupt snappy data: \(length) bytes declared, page says \(expectedSize)")
    }
    let dst = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, expectedSize), alignment: 16)
    defer { dst.deallocate() }
    var o = 0
    do {
      while p < input.count {
        let tag = input[p]
        p += 1
        var len: Int
        var offset: Int
        switch tag & 3 {
        case 0:
          len = Int(tag >> 2) + 1
          if len > 60 {
            let extra = len - 60
            guard input.count - p >= extra else {
              throw ParquetError.corrupt("corrupt snappy data: literal length cut short")
            }
            len = 0
            for k in 0..<extra { len |= Int(input[p + k]) << (8 * k) }
            len += 1
            p += extra
          }
          guard input.count - p >= len, expectedSize - o >= len else {
            throw ParquetError.corrupt("corrupt snappy data: literal overruns")
          }
          dst.baseAddress!.advanced(by: o).copyMemory(from: input.baseAddress!.advanced(by: p), byteCount: len)
          p += len
          o += len
          continue
        case 1:
          guard p < input.count else { throw ParquetError.corrupt("corrupt snappy data: copy cut short") }
          len = 4 + Int((tag >> 2) & 7)
          offset = Int(tag >> 5) << 8 | Int(input[p])
          p += 1
        case 2:
          guard input.count - p >= 2 else { throw ParquetError.corrupt("corrupt snappy data: copy cut short") }
          len = Int(tag >> 2) + 1
          offset = Int(input[p]) | Int(input[p + 1]) << 8
          p += 2
        default:
          guard input.count - p >= 4 else { throw ParquetError.corrupt("corrupt snappy data: copy cut short") }
          len = Int(tag >> 2) + 1
          offset = Int(input[p]) | Int(input[p + 1]) << 8 | Int(input[p + 2]) << 16 | Int(input[p + 3]) << 24
          p += 4
        }
        guard offset > 0, offset <= o, expectedSize - o >= len else {
          throw ParquetError.corrupt("corrupt snappy data: back-reference outside the output")
        }
        // Byte by byte: the source may overlap the destination (runs).
        for k in 0..<len { dst[o + k] = dst[o - offset + k] }
        o += len
      }
    }
    guard o == expectedSize else { throw ParquetError.corrupt("corrupt snappy data: \(o) of \(expectedSize) bytes") }
    return Array(UnsafeRawBufferPointer(rebasing: dst[0..<expectedSize]))
  }
}
