import Parquet
import Presign

/// The typed column builders of one table, addressed by schema position, so a batch can be
/// emptied and refilled without giving its memory back (fresh pages cost more than the work).
///
/// Builders live at fixed addresses owned by classes kept here; the row loop reaches them
/// through the raw pointers, without reference counting or uniqueness checks. A copy of a set
/// shares its builders: only one copy may be used.
struct ColumnSet {
  enum Kind {
    case text, int64, int32, bool
  }

  /// For each schema column: which builders hold it, and where.
  let slots: [(kind: Kind, index: Int)]
  private let textStorage: TextBuilders
  private let int64Storage: FixedBuilders<Int64>
  private let int32Storage: FixedBuilders<Int32>
  private let boolStorage: FixedBuilders<Bool>
  private let text: UnsafeMutablePointer<TextBuilder>
  private let scrubber: UnsafeMutablePointer<SecretScrubber>
  private let int64s: UnsafeMutablePointer<FixedBuilder<Int64>>
  private let int32s: UnsafeMutablePointer<FixedBuilder<Int32>>
  private let bools: UnsafeMutablePointer<FixedBuilder<Bool>>

  init(schema: Schema) {
    var slots: [(Kind, Int)] = []
    var counts = [Kind.text: 0, .int64: 0, .int32: 0, .bool: 0]
    for c in schema.columns {
      let kind: Kind
      switch c.physicalType {
      case .byteArray: kind = .text
      case .int64: kind = .int64
      case .int32: kind = .int32
      case .boolean: kind = .bool
      case .int96, .float, .double, .fixedLenByteArray:
        preconditionFailure("the shard tables have no \(c.physicalType) column (\(c.name))")
      }
      slots.append((kind, counts[kind]!))
      counts[kind]! += 1
    }
    self.slots = slots
    textStorage = TextBuilders(count: counts[.text]!)
    int64Storage = FixedBuilders(count: counts[.int64]!)
    int32Storage = FixedBuilders(count: counts[.int32]!)
    boolStorage = FixedBuilders(count: counts[.bool]!)
    text = textStorage.columns
    scrubber = textStorage.scrubber
    int64s = int64Storage.columns
    int32s = int32Storage.columns
    bools = boolStorage.columns
  }

  @inline(__always) func slot(_ column: Int) -> Int { slots[column].index }

  /// Whether the batch must be written now, whatever its row count: a text column reserved 1 GiB
  /// (its offsets are 32-bit, and the memory budget is checked only every few thousand rows).
  var isFull: Bool { textStorage.full.pointee }

  // MARK: text

  /// Appends a copy of a value with every secret in it fingerprinted (whatever the column: no
  /// parser is trusted to have found them all), made valid UTF-8 unless `ascii` says the caller
  /// checked a text that holds these bytes.
  /// Returns whether the scrubber replaced anything.
  @inline(__always) @discardableResult
  func appendText(_ slot: Int, _ bytes: UnsafeRawBufferPointer, ascii: Bool = false) -> Bool {
    if SecretScrubber.mayHoldSecret(bytes) {
      return appendScrubbed(slot, bytes, ascii: ascii)
    }
    text[slot].appendText(bytes, ascii: ascii)
    return false
  }

  @inline(never)
  private func appendScrubbed(_ slot: Int, _ bytes: UnsafeRawBufferPointer, ascii: Bool) -> Bool {
    if scrubber.pointee.scrub(bytes) {
      // Replacements are ASCII: an ASCII value stays ASCII.
      scrubber.pointee.output.withUnsafeBytes { text[slot].appendText($0, ascii: ascii) }
      return true
    }
    text[slot].appendText(bytes, ascii: ascii)
    return false
  }

  /// Appends a part of a text just appended through `appendText`, in which the scrubber found
  /// nothing: a secret in a part, which starts and ends at a literal character, is a secret in
  /// the whole (the Request-URI's query is the case: scanning it twice cost ~5% of a run).
  @inline(__always)
  func appendScrubbedPart(_ slot: Int, _ bytes: UnsafeRawBufferPointer, ascii: Bool = false) {
    text[slot].appendText(bytes, ascii: ascii)
  }

  @inline(__always)
  func appendNull(_ slot: Int) { text[slot].appendNull() }

  @inline(__always)
  func appendText(_ slot: Int, _ bytes: [UInt8], present: Bool) {
    if present {
      bytes.withUnsafeBytes { appendText(slot, $0) }
    } else {
      appendNull(slot)
    }
  }

  func appendText(_ slot: Int, _ value: String?) {
    if var value {
      value.withUTF8 { appendText(slot, UnsafeRawBufferPointer($0)) }
    } else {
      appendNull(slot)
    }
  }

  /// Calls `body` with a reader of the text column at `slot`, row by row (for sort keys).
  func withText<R>(_ slot: Int, _ body: ((Int) -> UnsafeRawBufferPointer) throws -> R) rethrows -> R {
    precondition(slot < textStorage.count)
    let column = text + slot
    return try withExtendedLifetime(textStorage) { try body { column.pointee.value($0) } }
  }

  // MARK: fixed width

  @inline(__always)
  func append(_ slot: Int, int64 v: Int64?) { int64s[slot].append(v ?? 0, null: v == nil) }

  @inline(__always)
  func append(_ slot: Int, int32 v: Int32?) { int32s[slot].append(v ?? 0, null: v == nil) }

  @inline(__always)
  func append(_ slot: Int, bool v: Bool?) { bools[slot].append(v ?? false, null: v == nil) }

  /// Rows in the INT64 column at `slot`.
  func count(int64 slot: Int) -> Int { int64s[slot].count }

  /// Calls `body` with the INT64 column at `slot` (for sort keys).
  func withInt64s<R>(_ slot: Int, _ body: (UnsafeBufferPointer<Int64>) throws -> R) rethrows -> R {
    precondition(slot < int64Storage.count)
    return try withExtendedLifetime(int64Storage) { try body(int64s[slot].view().values) }
  }

  // MARK: parts

  /// The columns in schema order, as the Parquet writer takes them: views of this set's
  /// memory, valid while it lives and is not appended to.
  func columnInputs() -> [ColumnInput] {
    slots.map { kind, index in
      switch kind {
      case .text: return .borrowedText(text[index].view())
      case .int64:
        let v = int64s[index].view()
        return .borrowedInt64(v.values, isNull: v.isNull)
      case .int32:
        let v = int32s[index].view()
        return .borrowedInt32(v.values, isNull: v.isNull)
      case .bool:
        let v = bools[index].view()
        return .borrowedBoolean(v.values, isNull: v.isNull)
      }
    }
  }

  /// Bytes the builders have allocated (capacity, not use): what the process really holds.
  var allocatedBytes: Int {
    var total = 0
    for i in 0..<textStorage.count { total += text[i].allocatedBytes }
    for i in 0..<int64Storage.count { total += int64s[i].allocatedBytes }
    for i in 0..<int32Storage.count { total += int32s[i].allocatedBytes }
    for i in 0..<boolStorage.count { total += bools[i].allocatedBytes }
    return total
  }

  func removeAll() {
    for i in 0..<textStorage.count { text[i].removeAll() }
    for i in 0..<int64Storage.count { int64s[i].removeAll() }
    for i in 0..<int32Storage.count { int32s[i].removeAll() }
    for i in 0..<boolStorage.count { bools[i].removeAll() }
    textStorage.full.pointee = false
  }
}
