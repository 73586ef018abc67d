/// DELTA_BINARY_PACKED (encoding 5) for INT32/INT64 pages.
enum DeltaBinaryPackedDecoder {
  static func decode(_ bytes: UnsafeRawBufferPointer, count: Int) throws(ParquetError) -> [Int64] {
    var p = 0
    func varint() throws(ParquetError) -> UInt64 {
      var v: UInt64 = 0
      var shift: UInt64 = 0
      while true {
        guard p < bytes.count, shift < 64 else { throw ParquetError("corrupt delta page: bad varint") }
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
    guard blockSize > 0, blockSize % 128 == 0, miniblocks > 0, blockSize % miniblocks == 0,
      (blockSize / miniblocks) % 32 == 0
    else { throw ParquetError("corrupt delta page: block \(blockSize), miniblocks \(miniblocks)") }
    guard total >= UInt64(count) else { throw ParquetError("corrupt delta page: \(total) values for \(count)") }
    var out: [Int64] = []
    out.reserveCapacity(count)
    if count > 0 { out.append(value) }
    let perMiniblock = blockSize / miniblocks
    while out.count < count {
      let minDelta = try zigzag()
      guard bytes.count - p >= miniblocks else { throw ParquetError("corrupt delta page: widths cut short") }
      let widthsAt = p
      p += miniblocks
      for m in 0..<miniblocks where out.count < count {
        let width = Int(bytes[widthsAt + m])
        guard width <= 64 else { throw ParquetError("corrupt delta page: bit width \(width)") }
        let size = perMiniblock * width / 8
        guard bytes.count - p >= size else { throw ParquetError("corrupt delta page: miniblock cut short") }
        var bit = 0
        for _ in 0..<perMiniblock where out.count < count {
          var delta: UInt64 = 0
          for k in 0..<width {
            let b = bit + k
            delta |= UInt64((bytes[p + b >> 3] >> UInt8(b & 7)) & 1) << UInt64(k)
          }
          bit += width
          value = value &+ minDelta &+ Int64(bitPattern: delta)
          out.append(value)
        }
        p += size
      }
    }
    return out
  }
}
