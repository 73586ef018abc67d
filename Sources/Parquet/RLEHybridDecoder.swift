/// Decodes the RLE / bit-packing hybrid (encoding 3): definition levels and dictionary indices.
///
/// Bounds-checked throughout; bit-packed runs may be longer than the values wanted (the last
/// group of a page is padded), and the padding is ignored.
enum RLEHybridDecoder {
  /// Appends `count` values of `bitWidth` bits read from `bytes` to `out`.
  static func decode(
    _ bytes: UnsafeRawBufferPointer, bitWidth: Int, count: Int, into out: inout [UInt32]
  ) throws(ParquetError) {
    guard bitWidth >= 0 && bitWidth <= 32 else { throw ParquetError.corrupt("corrupt page: bit width \(bitWidth)") }
    out.reserveCapacity(out.count + count)
    if bitWidth == 0 {
      out.append(contentsOf: repeatElement(0, count: count))
      return
    }
    var p = 0
    var left = count
    let valueBytes = (bitWidth + 7) / 8
    let mask: UInt64 = bitWidth == 32 ? 0xFFFF_FFFF : (1 << UInt64(bitWidth)) - 1
    while left > 0 {
      let header = try runHeader(bytes, at: &p, after: count - left, of: count)
      if header & 1 == 0 {
        let run = header >> 1
        guard run > 0 else { throw ParquetError.corrupt("corrupt page: empty RLE run") }
        guard bytes.count - p >= valueBytes else { throw ParquetError.corrupt("corrupt page: RLE value cut short") }
        var v: UInt64 = 0
        for k in 0..<valueBytes { v |= UInt64(bytes[p + k]) << (8 * UInt64(k)) }
        p += valueBytes
        let n = Int(min(run, UInt64(left)))
        out.append(contentsOf: repeatElement(UInt32(truncatingIfNeeded: v & mask), count: n))
        left -= n
      } else {
        let groups = header >> 1
        guard groups > 0, groups <= UInt64(bytes.count - p) else {
          throw ParquetError.corrupt("corrupt page: bit-packed run of \(groups) groups exceeds the page")
        }
        let groupBytes = Int(groups) * bitWidth
        guard bytes.count - p >= groupBytes else {
          throw ParquetError.corrupt("corrupt page: bit-packed run cut short")
        }
        let n = min(Int(groups) * 8, left)
        // LSB-first bit stream through a 64-bit accumulator, refilled a byte at a time; the
        // values go to a scratch buffer and join `out` in one append.
        let base = bytes.baseAddress!.assumingMemoryBound(to: UInt8.self) + p
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: n) { scratch in
          var acc: UInt64 = 0
          var bits = 0
          var q = 0
          for k in 0..<n {
            while bits < bitWidth {
              acc |= UInt64(base[q]) << UInt64(bits)
              q += 1
              bits += 8
            }
            scratch[k] = UInt32(truncatingIfNeeded: acc & mask)
            acc >>= UInt64(bitWidth)
            bits -= bitWidth
          }
          out.append(contentsOf: scratch)
        }
        p += groupBytes
        left -= n
      }
    }
  }

  /// The varint header of the run at `p` (moved past it); `done` of `count` values were read.
  @inline(__always)
  private static func runHeader(
    _ bytes: UnsafeRawBufferPointer, at p: inout Int, after done: Int, of count: Int
  ) throws(ParquetError) -> UInt64 {
    var header: UInt64 = 0
    var shift: UInt64 = 0
    while true {
      guard p < bytes.count else {
        throw ParquetError.corrupt("corrupt page: RLE data ends after \(done) of \(count) values")
      }
      let b = bytes[p]
      p += 1
      header |= UInt64(b & 0x7F) << shift
      if b & 0x80 == 0 { return header }
      shift += 7
      guard shift < 64 else { throw ParquetError.corrupt("corrupt page: RLE header too long") }
    }
  }

  /// Definition levels of a flat optional column (bit width 1) appended to `isNull` as "level
  /// 0", without an intermediate array of levels: runs are filled, bit-packed bytes expand eight
  /// flags at a time. Returns how many of the `count` values are null.
  static func appendNulls(
    _ bytes: UnsafeRawBufferPointer, count: Int, into isNull: inout [Bool]
  ) throws(ParquetError) -> Int {
    let first = isNull.count
    isNull.append(contentsOf: repeatElement(false, count: count))
    var nulls = 0
    var p = 0
    var done = 0
    try isNull.withUnsafeMutableBufferPointer { (out: inout UnsafeMutableBufferPointer<Bool>) throws(ParquetError) in
      let flags = UnsafeMutableRawPointer(out.baseAddress! + first)
      while done < count {
        let header = try runHeader(bytes, at: &p, after: done, of: count)
        if header & 1 == 0 {
          let run = header >> 1
          guard run > 0 else { throw ParquetError.corrupt("corrupt page: empty RLE run") }
          guard p < bytes.count else { throw ParquetError.corrupt("corrupt page: RLE value cut short") }
          let null = bytes[p] & 1 == 0
          p += 1
          let n = Int(min(run, UInt64(count - done)))
          if null {
            flags.advanced(by: done).initializeMemory(as: UInt8.self, repeating: 1, count: n)
            nulls += n
          }
          done += n
        } else {
          let groups = header >> 1
          guard groups > 0, groups <= UInt64(bytes.count - p) else {
            throw ParquetError.corrupt("corrupt page: bit-packed run of \(groups) groups exceeds the page")
          }
          // One byte holds eight levels at width 1.
          let n = min(Int(groups) * 8, count - done)
          var k = 0
          while k + 8 <= n {
            let expanded = nullFlags[Int(bytes[p + k / 8])]
            flags.storeBytes(of: expanded, toByteOffset: done + k, as: UInt64.self)
            nulls += (~Int(bytes[p + k / 8]) & 0xFF).nonzeroBitCount
            k += 8
          }
          if k < n {
            let b = bytes[p + k / 8]
            for bit in 0..<(n - k) where b >> UInt8(bit) & 1 == 0 {
              flags.storeBytes(of: 1, toByteOffset: done + k + bit, as: UInt8.self)
              nulls += 1
            }
          }
          p += Int(groups)
          done += n
        }
      }
    }
    return nulls
  }

  /// For each byte of eight width-1 levels, the eight null flags (level 0 is null) as the bytes
  /// of a little-endian word.
  private static let nullFlags: [UInt64] = (0..<256).map { b in
    var w: UInt64 = 0
    for bit in 0..<8 where b >> bit & 1 == 0 { w |= 1 << (8 * UInt64(bit)) }
    return w
  }
}
