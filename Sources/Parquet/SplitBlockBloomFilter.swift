#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Parquet's Split Block Bloom Filter (BloomFilter.md): blocks of eight 32-bit words, one bit set
/// per word, the block chosen by multiply-shift on the hash's high half.
public struct SplitBlockBloomFilter: Sendable {
  private static let salt = SIMD8<UInt32>(
    0x47b6_137b, 0x4497_4d91, 0x8824_ad5b, 0xa2b7_289d, 0x7054_95c7, 0x2df1_424b, 0x9efc_4947, 0x5c6b_fb31)
  /// Largest bitset written or read (arrow-rs and parquet-java use the same ceiling).
  static let maxBytes = 128 << 20

  private(set) var words: [UInt32]

  var blockCount: Int { words.count / 8 }
  public var byteCount: Int { words.count * 4 }

  /// A filter sized for `distinctValues` at false-positive rate `fpp`, in whole 32-byte blocks.
  /// Not rounded up to a power of two as parquet-java and Arrow do: the block index is a
  /// multiply-shift over any block count, which every reader computes the same way, and the
  /// rounding cost sigtrail's unique-per-row columns up to 60% more bytes than the rate needs.
  public init(distinctValues: Int, fpp: Double = 0.01) {
    let ndv = Double(max(1, distinctValues))
    let bits = -8 * ndv / log1pNegPow(fpp)
    let blocks = min(max(1, Int((bits / 256).rounded(.up))), Self.maxBytes / 32)
    words = [UInt32](repeating: 0, count: blocks * 8)
  }

  init(words: [UInt32]) { self.words = words }

  /// The eight bits of the block `h` sets, one per word, as one vector: a word at a time, the
  /// salt table and the bitset paid a bounds check per word.
  @inline(__always) private static func masks(_ h: UInt64) -> SIMD8<UInt32> {
    let x = SIMD8<UInt32>(repeating: UInt32(truncatingIfNeeded: h))
    return SIMD8<UInt32>(repeating: 1) &<< ((x &* salt) &>> 27)
  }

  @inline(__always) private func block(_ h: UInt64) -> Int { Int(((h >> 32) &* UInt64(blockCount)) >> 32) }

  public mutating func insert(hash h: UInt64) {
    let at = block(h) * 8
    let m = Self.masks(h)
    words.withUnsafeMutableBytes { w in
      let old = w.loadUnaligned(fromByteOffset: at * 4, as: SIMD8<UInt32>.self)
      w.storeBytes(of: old | m, toByteOffset: at * 4, as: SIMD8<UInt32>.self)
    }
  }

  public func mightContain(hash h: UInt64) -> Bool {
    let at = block(h) * 8
    let m = Self.masks(h)
    return words.withUnsafeBytes { w in
      let bits = w.loadUnaligned(fromByteOffset: at * 4, as: SIMD8<UInt32>.self)
      return bits & m == m
    }
  }

  public static func hash(bytes: UnsafeRawBufferPointer) -> UInt64 { XXHash64.hash(bytes) }
  public static func hash(_ value: Int64) -> UInt64 { XXHash64.hash(value) }
  public static func hash(_ value: Int32) -> UInt64 { XXHash64.hash(value) }
  public static func hash(_ value: String) -> UInt64 {
    var v = value
    return v.withUTF8 { XXHash64.hash(UnsafeRawBufferPointer($0)) }
  }

  /// `BloomFilterHeader` then the bitset, as stored at `bloom_filter_offset`.
  func serialized() -> [UInt8] {
    var w = ThriftCompactWriter()
    w.field(1, i32: Int32(byteCount))
    w.beginStruct(2)
    w.emptyStruct(1)
    w.endStruct()
    w.beginStruct(3)
    w.emptyStruct(1)
    w.endStruct()
    w.beginStruct(4)
    w.emptyStruct(1)
    w.endStruct()
    w.stop()
    var out = w.bytes
    out.reserveCapacity(out.count + byteCount)
    for word in words {
      let le = word.littleEndian
      withUnsafeBytes(of: le) { out.append(contentsOf: $0) }
    }
    return out
  }

  /// Reads a filter stored at `offset`: header (block algorithm, xxhash, uncompressed only), bitset.
  static func read(_ file: UnsafeRawBufferPointer, at offset: Int) throws(ParquetError) -> SplitBlockBloomFilter {
    var r = ThriftCompactReader(UnsafeRawBufferPointer(rebasing: file[offset...]))
    var numBytes = -1
    var known = (algorithm: false, hash: false, compression: false)
    try r.readStruct { r, id, t throws(ParquetError) in
      switch id {
      case 1: numBytes = Int(try r.i32(t, id))
      case 2, 3, 4:
        try r.expect(t, .structure, field: id)
        try r.readStruct { r, member, t throws(ParquetError) in
          if member == 1 {
            if id == 2 { known.algorithm = true }
            if id == 3 { known.hash = true }
            if id == 4 { known.compression = true }
          }
          try r.skip(t)
        }
      default: try r.skip(t)
      }
    }
    guard known.algorithm, known.hash, known.compression else {
      throw ParquetError.unsupported("bloom filter with an unknown algorithm, hash or compression")
    }
    guard numBytes >= 32, numBytes <= maxBytes, numBytes % 32 == 0 else {
      throw ParquetError.corrupt("bloom filter of \(numBytes) bytes")
    }
    let start = offset + r.position
    guard numBytes <= file.count - start else {
      throw ParquetError.corrupt("bloom filter runs past the end of the file")
    }
    var words = [UInt32](repeating: 0, count: numBytes / 4)
    for i in 0..<words.count {
      words[i] = file.loadUnaligned(fromByteOffset: start + i * 4, as: UInt32.self).littleEndian
    }
    return SplitBlockBloomFilter(words: words)
  }
}

/// ln(1 - fpp^(1/8)), the denominator of the SBBF sizing formula.
private func log1pNegPow(_ fpp: Double) -> Double {
  let root = pow(min(max(fpp, 1e-9), 0.5), 1.0 / 8.0)
  return log(1 - root)
}
