/// Builds the dictionary of one column chunk without materialising any value as a Swift object:
/// byte-array entries are ranges into the column's own arena, found through an open-addressing
/// table of entry numbers.
///
/// Building stops as soon as the dictionary grows past `maxEntries` or `maxBytes`; the caller then
/// writes the chunk PLAIN (a per-chunk decision, which every reader handles).
struct ByteArrayDictionaryBuilder {
  private(set) var entryStarts: [UInt32] = []
  private(set) var entryLengths: [UInt32] = []
  private var entryHashes: [UInt64] = []
  private var table: [Int32]
  private var mask: Int
  private(set) var plainBytes = 0
  private var lookups = 0
  /// After this many distinct values (4,096, or an eighth of the chunk's rows for smaller
  /// chunks, but at least 64), a column where three in four values are new is not worth a
  /// dictionary. CloudTrail's day partitions make chunks of a few thousand rows, where a fixed
  /// 4,096 was never reached: ids were hashed for half the chunk before the refusal.
  let probeEntries: Int
  let maxEntries: Int
  let maxBytes: Int

  init(maxEntries: Int, maxBytes: Int, rows: Int) {
    self.maxEntries = maxEntries
    self.maxBytes = maxBytes
    probeEntries = max(64, min(4096, rows / 8))
    let capacity = 1024
    table = [Int32](repeating: -1, count: capacity)
    mask = capacity - 1
  }

  var count: Int { entryStarts.count }

  /// A lookup the caller answered itself (the value repeats the one before): it still counts
  /// towards the share of new values that gives up on high-cardinality columns.
  @inline(__always) mutating func countRepeat() { lookups += 1 }

  /// Returns the dictionary index of `arena[start ..< start+length]`, or nil once over budget.
  mutating func index(
    of arena: UnsafeBufferPointer<UInt8>, start: Int, length: Int
  ) -> UInt32? {
    lookups += 1
    let h = ByteHash.hash(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: arena[start..<(start + length)])))
    var slot = Int(truncatingIfNeeded: h) & mask
    while true {
      let e = table[slot]
      if e < 0 { break }
      let ei = Int(e)
      if entryHashes[ei] == h && Int(entryLengths[ei]) == length
        && ByteHash.equal(arena, Int(entryStarts[ei]), start, length)
      {
        return UInt32(ei)
      }
      slot = (slot + 1) & mask
    }
    if entryStarts.count >= maxEntries { return nil }
    // High-cardinality columns (ids, hashes, URIs) show it early: stop hashing them.
    if entryStarts.count >= probeEntries && entryStarts.count * 4 > lookups * 3 { return nil }
    plainBytes += 4 + length
    if plainBytes > maxBytes { return nil }
    let newIndex = entryStarts.count
    entryStarts.append(UInt32(start))
    entryLengths.append(UInt32(length))
    entryHashes.append(h)
    table[slot] = Int32(newIndex)
    if entryStarts.count * 2 > table.count { grow() }
    return UInt32(newIndex)
  }

  private mutating func grow() {
    let capacity = table.count * 2
    table = [Int32](repeating: -1, count: capacity)
    mask = capacity - 1
    for (i, h) in entryHashes.enumerated() {
      var slot = Int(truncatingIfNeeded: h) & mask
      while table[slot] >= 0 { slot = (slot + 1) & mask }
      table[slot] = Int32(i)
    }
  }
}

/// The same for fixed-width integers (status codes, dates), keyed by value.
struct IntegerDictionaryBuilder {
  private(set) var entries: [Int64] = []
  private var table: [Int32]
  private var mask: Int
  let maxEntries: Int

  init(maxEntries: Int) {
    self.maxEntries = maxEntries
    table = [Int32](repeating: -1, count: 256)
    mask = 255
  }

  var count: Int { entries.count }

  mutating func index(of value: Int64) -> UInt32? {
    let h = ByteHash.mix(UInt64(bitPattern: value))
    var slot = Int(truncatingIfNeeded: h) & mask
    while true {
      let e = table[slot]
      if e < 0 { break }
      if entries[Int(e)] == value { return UInt32(e) }
      slot = (slot + 1) & mask
    }
    if entries.count >= maxEntries { return nil }
    let newIndex = entries.count
    entries.append(value)
    table[slot] = Int32(newIndex)
    if entries.count * 2 > table.count {
      let capacity = table.count * 2
      table = [Int32](repeating: -1, count: capacity)
      mask = capacity - 1
      for (i, v) in entries.enumerated() {
        var s = Int(truncatingIfNeeded: ByteHash.mix(UInt64(bitPattern: v))) & mask
        while table[s] >= 0 { s = (s + 1) & mask }
        table[s] = Int32(i)
      }
    }
    return UInt32(newIndex)
  }
}

/// A fast non-cryptographic hash over byte ranges: eight bytes at a time, multiply-xorshift mixed.
public enum ByteHash {
  @inline(__always)
  public static func mix(_ x: UInt64) -> UInt64 {
    var z = x &+ 0x9E37_79B9_7F4A_7C15
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// One multiply and one shift per eight bytes, the full `mix` once at the end: the mix per
  /// word was a serial chain of two multiplies and three shifts, and hashing user agents and
  /// ARNs for dictionaries was most of the dictionary builder's time. Tails are read as one
  /// overlapping word (or two overlapping half-words), never byte by byte.
  @inline(__always)
  public static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
    let n = bytes.count
    var h: UInt64 = UInt64(n) &* 0x9E37_79B9_7F4A_7C15
    @inline(__always) func step(_ w: UInt64) {
      h = (h ^ w) &* 0xBF58_476D_1CE4_E5B9
      h ^= h >> 32
    }
    if n >= 8 {
      var i = 0
      while i + 8 <= n {
        step(bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self))
        i += 8
      }
      if i < n { step(bytes.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)) }
    } else if n >= 4 {
      let head = UInt64(bytes.loadUnaligned(as: UInt32.self))
      let tail = UInt64(bytes.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self))
      step(head << 32 | tail)
    } else if n > 0 {
      step(UInt64(bytes[0]) << 16 | UInt64(bytes[n / 2]) << 8 | UInt64(bytes[n - 1]))
    }
    return mix(h)
  }

  @inline(__always)
  static func equal(_ arena: UnsafeBufferPointer<UInt8>, _ a: Int, _ b: Int, _ length: Int) -> Bool {
    if a == b { return true }
    guard let base = arena.baseAddress else { return length == 0 }
    return memcmpBytes(base + a, base + b, length)
  }

  @inline(__always)
  static func memcmpBytes(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ n: Int) -> Bool {
    var i = 0
    while i + 8 <= n {
      if UnsafeRawPointer(a + i).loadUnaligned(as: UInt64.self)
        != UnsafeRawPointer(b + i).loadUnaligned(as: UInt64.self)
      {
        return false
      }
      i += 8
    }
    while i < n {
      if a[i] != b[i] { return false }
      i += 1
    }
    return true
  }
}
