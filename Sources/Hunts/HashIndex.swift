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
struct HashIndex<Key: HashIndexKey>: Sendable where Key: Sendable {
  /// A key and its position side by side, so that a lookup touches one cache line.
  private struct Slot {
    var key: Key
    var position: Int32
  }

  private var slots: [Slot]
  private var shift: UInt64
  private var count = 0

  init(placeholder: Key, capacity: Int = 1024) {
    var size = 16
    while size < capacity * 2 { size *= 2 }
    slots = Array(repeating: Slot(key: placeholder, position: -1), count: size)
    shift = UInt64(64 - size.trailingZeroBitCount)
  }

  @inline(__always)
  private func bucket(_ key: Key) -> Int { Int(truncatingIfNeeded: key.spread >> shift) }

  /// The position stored for `key`, if any.
  func position(of key: Key) -> Int? {
    let mask = slots.count - 1
    var b = bucket(key)
    while slots[b].position >= 0 {
      if slots[b].key == key { return Int(slots[b].position) }
      b = (b + 1) & mask
    }
    return nil
  }

  /// The position stored for `key`; if there is none, stores `new` for it and returns nil.
  mutating func position(of key: Key, orInsert new: Int) -> Int? {
    if count * 2 >= slots.count { grow() }
    let mask = slots.count - 1
    var b = bucket(key)
    while slots[b].position >= 0 {
      if slots[b].key == key { return Int(slots[b].position) }
      b = (b + 1) & mask
    }
    slots[b] = Slot(key: key, position: Int32(truncatingIfNeeded: new))
    count += 1
    return nil
  }

  private mutating func grow() {
    let old = slots
    slots = Array(repeating: Slot(key: old[0].key, position: -1), count: old.count * 2)
    shift -= 1
    let mask = slots.count - 1
    for slot in old where slot.position >= 0 {
      var b = bucket(slot.key)
      while slots[b].position >= 0 { b = (b + 1) & mask }
      slots[b] = slot
    }
  }
}
