/// DELTA_BINARY_PACKED (encoding 5) for INT32/INT64 pages and the lengths of
/// DELTA_LENGTH_BYTE_ARRAY pages.
enum DeltaBinaryPackedDecoder {
  static func decode(_ bytes: UnsafeRawBufferPointer, count: Int) throws(ParquetError) -> [Int64] {
    try decode(bytes, count: count, exact: false).values
  }

  /// `count` values, and how many bytes they took (where the data of a DELTA_LENGTH_BYTE_ARRAY
  /// page begins). With `exact`, the stream must hold exactly `count`.
  static func decode(_ bytes: UnsafeRawBufferPointer, count: Int, exact: Bool) throws(ParquetError) -> (
    values: [Int64], used: Int
  ) {
    // The caller bounds `count` by the row group's rows (a width-0 stream holds any number).
    guard count >= 0 else { throw ParquetError.corrupt("corrupt delta page: \(count) values") }
    var used = 0
    var failure: ParquetError?
    let values = [Int64](unsafeUninitializedCapacity: count) { buffer, initialized in
      do throws(ParquetError) {
        used = try decode(bytes, count: count, exact: exact, into: buffer.baseAddress)
        initialized = count
      } catch {
        failure = error
        initialized = 0
      }
    }
    if let failure { throw failure }
    return (values, used)
  }

  /// Writes `count` values to `out` (room for `count`), returns the bytes they took.
  private static func decode(
    _ bytes: UnsafeRawBufferPointer, count: Int, exact: Bool, into out: UnsafeMutablePointer<Int64>?
  ) throws(ParquetError) -> Int {
    var p = 0
    func varint() throws(ParquetError) -> UInt64 {
      var v: UInt64 = 0
      var shift: UInt64 = 0
      while true {
        guard p < bytes.count, shift < 64 else { throw ParquetError.corrupt("corrupt delta page: bad varint") }
        let b = bytes[p]
        p += 1
        v |= UInt64(b & 0x7F) << shift
        if b & 0x80 == 0 { return v }
        shift += 7
      }
    }
    func zigzag() throws(ParquetError) -> Int64 {
      let v = try varint()
      return Int64(bitPattern: (v >> 1) ^ (0 &- (v & 1)))
    }
    let blockSize = Int(clamping: try varint())
    let miniblocks = Int(clamping: try varint())
    let total = try varint()
    var value = try zigzag()
    guard blockSize > 0, blockSize % 128 == 0, blockSize <= 1 << 20, miniblocks > 0, blockSize % miniblocks == 0,
      (blockSize / miniblocks) % 32 == 0
    else { throw ParquetError.corrupt("corrupt delta page: block \(blockSize), miniblocks \(miniblocks)") }
    guard exact ? total == UInt64(count) : total >= UInt64(count) else {
      throw ParquetError.corrupt("corrupt delta page: \(total) values for \(count)")
    }
    guard let out, count > 0 else { return p }
    out[0] = value
    var k = 1
    let perMiniblock = blockSize / miniblocks
    while k < count {
      let minDelta = try zigzag()
      guard bytes.count - p >= miniblocks else { throw ParquetError.corrupt("corrupt delta page: widths cut short") }
      let widthsAt = p
      p += miniblocks
      for m in 0..<miniblocks where k < count {
        let width = Int(bytes[widthsAt + m])
        guard width <= 64 else { throw ParquetError.corrupt("corrupt delta page: bit width \(width)") }
        let size = perMiniblock * width / 8
        guard bytes.count - p >= size else { throw ParquetError.corrupt("corrupt delta page: miniblock cut short") }
        let n = min(perMiniblock, count - k)
        if width == 0 {
          for _ in 0..<n {
            value = value &+ minDelta
            out[k] = value
            k &+= 1
          }
        } else if width <= 56 && bytes.count - p >= size + 8 {
          // One unaligned 64-bit load per value: `width` bits at any bit offset fit in it.
          let mask: UInt64 = (1 << UInt64(width)) &- 1
          var bit = 0
          for _ in 0..<n {
            let word = bytes.loadUnaligned(fromByteOffset: p &+ (bit >> 3), as: UInt64.self).littleEndian
            value = value &+ minDelta &+ Int64(bitPattern: (word >> UInt64(bit & 7)) & mask)
            out[k] = value
            k &+= 1
            bit &+= width
          }
        } else {
          var bit = 0
          for _ in 0..<n {
            var delta: UInt64 = 0
            for k in 0..<width {
              let b = bit + k
              delta |= UInt64((bytes[p + b >> 3] >> UInt8(b & 7)) & 1) << UInt64(k)
            }
            bit += width
            value = value &+ minDelta &+ Int64(bitPattern: delta)
            out[k] = value
            k &+= 1
          }
        }
        p += size
      }
    }
    return p
  }
}
