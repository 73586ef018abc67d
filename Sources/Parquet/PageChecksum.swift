import CZlib

/// The CRC-32 a page header's `crc` field holds: over the page's bytes as stored (compressed),
/// without its header, as the format specifies and parquet-mr, Arrow and Spark check it.
enum PageChecksum {
  static func crc32(_ bytes: UnsafeRawBufferPointer) -> Int32 {
    guard let base = bytes.baseAddress, bytes.count > 0 else { return 0 }
    var crc = CZlib.crc32(0, nil, 0)
    var offset = 0
    // zlib takes a 32-bit length.
    while offset < bytes.count {
      let n = min(bytes.count - offset, 1 << 30)
      crc = CZlib.crc32(crc, base.advanced(by: offset).assumingMemoryBound(to: UInt8.self), uInt(n))
      offset += n
    }
    return Int32(bitPattern: UInt32(truncatingIfNeeded: crc))
  }
}
