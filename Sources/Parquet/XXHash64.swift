/// XXH64 (seed 0), the hash Parquet's bloom filters use over a value's PLAIN bytes.
public enum XXHash64 {
  private static let p1: UInt64 = 0x9E37_79B1_85EB_CA87
  private static let p2: UInt64 = 0xC2B2_AE3D_27D4_EB4F
  private static let p3: UInt64 = 0x1656_67B1_9E37_79F9
  private static let p4: UInt64 = 0x85EB_CA77_C2B2_AE63
  private static let p5: UInt64 = 0x27D4_EB2F_1656_67C5

  @inline(__always) private static func rotl(_ x: UInt64, _ r: UInt64) -> UInt64 { (x << r) | (x >> (64 - r)) }

  @inline(__always) private static func round(_ acc: UInt64, _ input: UInt64) -> UInt64 {
    rotl(acc &+ input &* p2, 31) &* p1
  }

  @inline(__always) private static func merge(_ acc: UInt64, _ val: UInt64) -> UInt64 {
    (acc ^ round(0, val)) &* p1 &+ p4
  }

  public static func hash(_ data: UnsafeRawBufferPointer) -> UInt64 {
    let n = data.count
    var p = 0
    var h: UInt64
    @inline(__always) func u64(_ i: Int) -> UInt64 {
      data.loadUnaligned(fromByteOffset: i, as: UInt64.self).littleEndian
    }
    @inline(__always) func u32(_ i: Int) -> UInt64 {
      UInt64(data.loadUnaligned(fromByteOffset: i, as: UInt32.self).littleEndian)
    }
    if n >= 32 {
      var v1 = p1 &+ p2
      var v2 = p2
      var v3: UInt64 = 0
      var v4: UInt64 = 0 &- p1
      while p + 32 <= n {
        v1 = round(v1, u64(p))
        v2 = round(v2, u64(p + 8))
        v3 = round(v3, u64(p + 16))
        v4 = round(v4, u64(p + 24))
        p += 32
      }
      h = rotl(v1, 1) &+ rotl(v2, 7) &+ rotl(v3, 12) &+ rotl(v4, 18)
      h = merge(h, v1)
      h = merge(h, v2)
      h = merge(h, v3)
      h = merge(h, v4)
    } else {
      h = p5
    }
    h = h &+ UInt64(n)
    while p + 8 <= n {
      h ^= round(0, u64(p))
      h = rotl(h, 27) &* p1 &+ p4
      p += 8
    }
    if p + 4 <= n {
      h ^= u32(p) &* p1
      h = rotl(h, 23) &* p2 &+ p3
      p += 4
    }
    while p < n {
      h ^= UInt64(data[p]) &* p5
      h = rotl(h, 11) &* p1
      p += 1
    }
    h ^= h >> 33
    h = h &* p2
    h ^= h >> 29
    h = h &* p3
    h ^= h >> 32
    return h
  }

  static func hash(_ value: Int64) -> UInt64 {
    withUnsafeBytes(of: value.littleEndian) { hash($0) }
  }

  static func hash(_ value: Int32) -> UInt64 {
    withUnsafeBytes(of: value.littleEndian) { hash($0) }
  }
}
