/// DELTA_BINARY_PACKED (encoding 5): blocks of 128 deltas in four miniblocks of 32, each
/// miniblock bit-packed at the width of its largest delta above the block's smallest, the
/// layout Arrow and parquet-java write. Arithmetic wraps, as the format specifies, so any
/// sequence of Int64 round-trips.
enum DeltaBinaryPackedEncoder {
  static let blockSize = 128
  static let miniblocks = 4
  static let perMiniblock = blockSize / miniblocks

  /// Appends the encoding of `count` values, `value(i)` for i in 0..<count, to `out`; `value`
  /// is called once for each i, in order.
  static func encode(count: Int, into out: inout [UInt8], value: (Int) -> Int64) {
    varint(UInt64(blockSize), into: &out)
    varint(UInt64(miniblocks), into: &out)
    varint(UInt64(count), into: &out)
    guard count > 0 else {
      varint(0, into: &out)
      return
    }
    let first = value(0)
    varint(zigzag(first), into: &out)
    // One block's deltas and widths on the stack: a page is encoded without a heap allocation.
    withUnsafeTemporaryAllocation(of: Int64.self, capacity: blockSize) { deltas in
      withUnsafeTemporaryAllocation(of: Int.self, capacity: miniblocks) { widths in
        encodeBlocks(count: count, first: first, deltas: deltas, widths: widths, into: &out, value: value)
      }
    }
  }

  private static func encodeBlocks(
    count: Int, first: Int64, deltas: UnsafeMutableBufferPointer<Int64>, widths: UnsafeMutableBufferPointer<Int>,
    into out: inout [UInt8], value: (Int) -> Int64
  ) {
    var previous = first
    var next = 1
    while next < count {
      let n = min(blockSize, count - next)
      var minDelta = Int64.max
      for k in 0..<n {
        let v = value(next + k)
        deltas[k] = v &- previous
        previous = v
        minDelta = min(minDelta, deltas[k])
      }
      next += n
      varint(zigzag(minDelta), into: &out)
      // Widths of every miniblock (zero for the unused ones of the last block), then the
      // bodies of the used ones only.
      let used = (n + perMiniblock - 1) / perMiniblock
      for m in 0..<miniblocks { widths[m] = 0 }
      for m in 0..<used {
        var bits: UInt64 = 0
        for k in (m * perMiniblock)..<min(n, (m + 1) * perMiniblock) {
          bits |= UInt64(bitPattern: deltas[k] &- minDelta)
        }
        widths[m] = 64 - bits.leadingZeroBitCount
      }
      for w in widths { out.append(UInt8(w)) }
      for m in 0..<used {
        pack(
          deltas, from: m * perMiniblock, valid: min(n, (m + 1) * perMiniblock), base: minDelta,
          width: widths[m], into: &out)
      }
    }
  }

  /// Bit-packs 32 deltas (those past `valid` as zeros), least significant bit first.
  private static func pack(
    _ deltas: UnsafeMutableBufferPointer<Int64>, from start: Int, valid: Int, base: Int64, width: Int,
    into out: inout [UInt8]
  ) {
    guard width > 0 else { return }
    var acc: UInt64 = 0
    var bits = 0
    for k in start..<(start + perMiniblock) {
      let v = k < valid ? UInt64(bitPattern: deltas[k] &- base) : 0
      acc |= v << UInt64(bits)
      let spill = bits + width - 64
      bits += width
      while bits >= 8 {
        out.append(UInt8(truncatingIfNeeded: acc))
        acc >>= 8
        bits -= 8
      }
      // Bits of `v` that did not fit the 64-bit accumulator when it was shifted in.
      if spill > 0 { acc |= (v >> UInt64(width - spill)) << UInt64(bits - spill) }
    }
    if bits > 0 { out.append(UInt8(truncatingIfNeeded: acc)) }
  }

  static func zigzag(_ v: Int64) -> UInt64 { UInt64(bitPattern: (v << 1) ^ (v >> 63)) }

  /// ULEB128, as the RLE hybrid run headers write it.
  static func varint(_ v: UInt64, into out: inout [UInt8]) { RLEHybridEncoder.appendVarint(v, to: &out) }
}
