/// A key the hunts' tables hold: already a hash (or a pair of them), so spreading it over the
/// buckets takes one multiply instead of Swift's `Hasher`.
protocol HashIndexKey: Equatable {
  var spread: UInt64 { get }
}

extension UInt64: HashIndexKey {
  var spread: UInt64 { self &* 0x9E37_79B9_7F4A_7C15 }
}

/// Open addressing with linear probing from a key to a position in the owner's own arrays:
/// the group-by tables of the hunts, millions of lookups per hunt, where `Dictionary` spent
/// most of its time hashing hashes again and moving large values around.
struct HashIndex<Key: HashIndexKey> {
  private var keys: [Key]
  private var positions: [Int32]
  private var shift: UInt64
  private(set) var count = 0

  init(placeholder: Key, capacity: Int = 1024) {
    var size = 16
    while size < capacity * 2 { size *= 2 }
    keys = Array(repeating: placeholder, count: size)
    positions = Array(repeating: -1, count: size)
    shift = UInt64(64 - size.trailingZeroBitCount)
  }

  @inline(__always)
  private func bucket(_ key: Key) -> Int { Int(truncatingIfNeeded: key.spread >> shift) }

  /// The position stored for `key`, if any.
  func position(of key: Key) -> Int? {
    let mask = positions.count - 1
    var b = bucket(key)
    while positions[b] >= 0 {
      if keys[b] == key { return Int(positions[b]) }
      b = (b + 1) & mask
    }
    return nil
  }

  /// The position stored for `key`; if there is none, stores `new` for it and returns nil.
  mutating func position(of key: Key, orInsert new: Int) -> Int? {
    if count * 2 >= positions.count { grow() }
    let mask = positions.count - 1
    var b = bucket(key)
    while positions[b] >= 0 {
      if keys[b] == key { return Int(positions[b]) }
      b = (b + 1) & mask
    }
    keys[b] = key
    positions[b] = Int32(truncatingIfNeeded: new)
    count += 1
    return nil
  }

  private mutating func grow() {
    let oldKeys = keys
    let oldPositions = positions
    keys = Array(repeating: oldKeys[0], count: oldKeys.count * 2)
    positions = Array(repeating: -1, count: oldPositions.count * 2)
    shift -= 1
    let mask = positions.count - 1
    for i in oldPositions.indices where oldPositions[i] >= 0 {
      var b = bucket(oldKeys[i])
      while positions[b] >= 0 { b = (b + 1) & mask }
      keys[b] = oldKeys[i]
      positions[b] = oldPositions[i]
    }
  }
}
