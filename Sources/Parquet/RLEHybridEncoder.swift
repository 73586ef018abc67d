/// The RLE / bit-packing hybrid (Parquet encoding 3), used for definition levels and dictionary
/// indices.
///
/// Works on a whole page of values at once: runs of eight or more equal values become RLE runs,
/// everything between them is bit-packed in groups of eight. A literal stretch that precedes an
/// RLE run is extended into that run up to a multiple of eight, because only the *last* bit-packed
/// group of a page may be padded. The final group is padded with zeros to a full `bitWidth` bytes
/// (Spark's vectorized reader fails on short last groups).
enum RLEHybridEncoder {
  static let minimumRunLength = 8

  static func encode(_ values: UnsafeBufferPointer<UInt32>, bitWidth: Int, into out: inout [UInt8]) {
    precondition(bitWidth >= 1 && bitWidth <= 32)
    let n = values.count
    var literalStart = 0
    var i = 0
    while i < n {
      let v = values[i]
      var j = i + 1
      while j < n && values[j] == v { j += 1 }
      var runLength = j - i
      if runLength < minimumRunLength {
        i = j
        continue
      }
      let literalLength = i - literalStart
      if literalLength > 0 {
        let pad = (8 - literalLength % 8) % 8
        if runLength - pad < minimumRunLength {
          i = j
          continue
        }
        bitPack(values, from: literalStart, count: literalLength + pad, bitWidth: bitWidth, into: &out)
        i += pad
        runLength -= pad
      }
      writeRLERun(value: v, count: runLength, bitWidth: bitWidth, into: &out)
      i = j
      literalStart = j
    }
    if literalStart < n {
      bitPack(values, from: literalStart, count: n - literalStart, bitWidth: bitWidth, into: &out)
    }
  }

  /// Levels of width 1 given packed eight to a byte (least significant bit first, as bit-packed
  /// runs store them; the last byte zero-padded): each byte is one group, copied as it is into
  /// bit-packed runs; two or more equal all-zero or all-one groups become one RLE run. Definition
  /// levels of a page went through an array of one UInt32 per row and the general encoder
  /// before: 4% of an access-log run's instructions.
  static func encodeBits(_ packed: UnsafeBufferPointer<UInt8>, count: Int, into out: inout [UInt8]) {
    precondition(packed.count == (count + 7) / 8)
    let fullGroups = count / 8
    var literalStart = 0
    var g = 0
    func flushLiterals(upTo end: Int) {
      guard end > literalStart else { return }
      appendVarint(UInt64(end - literalStart) << 1 | 1, to: &out)
      out.append(contentsOf: UnsafeBufferPointer(rebasing: packed[literalStart..<end]))
    }
    while g < fullGroups {
      let byte = packed[g]
      guard byte == 0 || byte == 0xFF else {
        g += 1
        continue
      }
      var h = g + 1
      while h < fullGroups && packed[h] == byte { h += 1 }
      if h - g >= 2 {
        flushLiterals(upTo: g)
        writeRLERun(value: byte == 0 ? 0 : 1, count: (h - g) * 8, bitWidth: 1, into: &out)
        literalStart = h
      }
      g = h
    }
    // The last, partial group (if any) is always bit-packed, zero-padded.
    flushLiterals(upTo: packed.count)
  }

  static func encode(_ values: [UInt32], bitWidth: Int, into out: inout [UInt8]) {
    values.withUnsafeBufferPointer { encode($0, bitWidth: bitWidth, into: &out) }
  }

  static func writeRLERun(value: UInt32, count: Int, bitWidth: Int, into out: inout [UInt8]) {
    appendVarint(UInt64(count) << 1, to: &out)
    var v = value
    for _ in 0..<((bitWidth + 7) / 8) {
      out.append(UInt8(truncatingIfNeeded: v))
      v >>= 8
    }
  }

  /// Bit-packs `count` values (rounded up to whole groups of 8, zero-padded past the input).
  static func bitPack(
    _ values: UnsafeBufferPointer<UInt32>, from start: Int, count: Int, bitWidth: Int,
    into out: inout [UInt8]
  ) {
    let groups = (count + 7) / 8
    appendVarint(UInt64(groups) << 1 | 1, to: &out)
    let end = start + count
    // The packed bytes are written in place: one append per byte had cost more than the packing.
    var at = out.count
    out.append(contentsOf: repeatElement(0, count: groups * bitWidth))
    out.withUnsafeMutableBufferPointer { o in
      var accumulator: UInt64 = 0
      var bits = 0
      for k in 0..<(groups * 8) {
        let index = start + k
        let v: UInt64 = index < end ? UInt64(values[index]) : 0
        accumulator |= v << UInt64(bits)
        bits += bitWidth
        while bits >= 8 {
          o[at] = UInt8(truncatingIfNeeded: accumulator)
          at += 1
          accumulator >>= 8
          bits -= 8
        }
      }
    }
    // groups * 8 * bitWidth is a multiple of 8 bits, so nothing is left in the accumulator.
  }

  static func appendVarint(_ value: UInt64, to out: inout [UInt8]) {
    var v = value
    while v >= 0x80 {
      out.append(UInt8(truncatingIfNeeded: v) | 0x80)
      v >>= 7
    }
    out.append(UInt8(v))
  }

  /// Smallest width that holds `maxValue`, never below 1 (some readers mishandle width 0).
  static func bitWidth(forMaxValue maxValue: UInt32) -> Int {
    maxValue == 0 ? 1 : 32 - maxValue.leadingZeroBitCount
  }
}
