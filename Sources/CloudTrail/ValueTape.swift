/// Every value the last validation found, in document order, with where its subtree ends.
///
/// A record is validated once and then walked several times (the reader's passes, the secret
/// redactor's, the lineage's): each walk found member names, values and nested ends by scanning
/// the bytes again. With the tape, a walk reads one entry per value: `forEachMember` goes from a
/// name to its value to the next name by index, never touching the text.
///
/// Entries are written by the scanner's validation only (`value(at:)`, or an object validated
/// member by member: `beginMembers`, `memberValue`, `endMembers`). An entry is valid once its
/// value was validated completely: a slot is marked invalid when reserved and filled when its
/// value (all of its subtree) is done, so a validation that fails half-way leaves no entry that
/// names bytes it did not check. Past `maxEntries` (16 MB; a bare JSON array of a whole file, say) the tape stops
/// growing and the containers it could not hold in full read as absent: their walks scan.
final class ValueTape {
  struct Entry {
    var start: Int32
    var end: Int32
    /// The slot after this value's subtree: the next sibling's, for a member's value.
    var next: Int32
    var kind: JSONValue.Kind
    var escaped: Bool
  }

  static let maxEntries = 1 << 20

  // Unchecked: read and written on every value of every record, and a run-time exclusivity
  // check per access would cost much of what the tape saves. Safe: a scanner, and so its tape,
  // belongs to one thread, and no access here calls out while another is in progress.
  @exclusivity(unchecked) private var entries: UnsafeMutablePointer<Entry>
  @exclusivity(unchecked) private var capacity: Int
  private let limit: Int
  @exclusivity(unchecked) private(set) var count = 0
  /// A slot was refused since the last `removeAll`: containers closing now miss entries.
  @exclusivity(unchecked) private(set) var overflowed = false

  init(limit: Int = ValueTape.maxEntries) {
    self.limit = limit
    capacity = min(1024, limit)
    entries = .allocate(capacity: capacity)
  }

  deinit { entries.deallocate() }

  @inline(__always)
  func removeAll() {
    count = 0
    overflowed = false
  }

  /// The slot for the value about to be validated, marked invalid until `fill`; -1 when the
  /// tape is full.
  @inline(__always)
  func reserve() -> Int {
    if count == capacity && !grow() {
      overflowed = true
      return -1
    }
    let slot = count
    entries[slot].kind = .missing
    count = slot + 1
    return slot
  }

  /// Records `value` (validated, with its subtree) in `slot`; returns it marked with its slot.
  @inline(__always)
  func fill(_ slot: Int, _ value: JSONValue) -> JSONValue {
    guard slot >= 0 else { return value }
    var v = value
    if v.kind == .object || v.kind == .array {
      // A subtree the tape could not hold in full is not recorded at all.
      guard !overflowed else { return value }
      entries[slot] = Entry(start: v.start, end: v.end, next: Int32(count), kind: v.kind, escaped: false)
    } else {
      entries[slot] = Entry(start: v.start, end: v.end, next: Int32(slot + 1), kind: v.kind, escaped: v.escaped)
    }
    v.slot = Int32(slot)
    return v
  }

  /// The slot after `container`'s subtree, when the tape holds it (it was validated last and
  /// recorded in full); its members or elements are then the slots between.
  @inline(__always)
  func subtreeEnd(of container: JSONValue) -> Int? {
    let slot = Int(container.slot)
    guard slot >= 0, slot < count else { return nil }
    let e = entries[slot]
    guard e.kind == container.kind, e.start == container.start, e.end == container.end else { return nil }
    return Int(e.next)
  }

  @inline(__always)
  func value(_ slot: Int) -> JSONValue {
    let e = entries[slot]
    var v = JSONValue(kind: e.kind, start: Int(e.start), end: Int(e.end), escaped: e.escaped)
    v.slot = Int32(slot)
    return v
  }

  @inline(__always)
  func next(_ slot: Int) -> Int { Int(entries[slot].next) }

  private func grow() -> Bool {
    guard capacity < limit else { return false }
    let larger = min(max(capacity * 2, 1), limit)
    let moved = UnsafeMutablePointer<Entry>.allocate(capacity: larger)
    moved.moveInitialize(from: entries, count: count)
    entries.deallocate()
    entries = moved
    capacity = larger
    return true
  }
}
