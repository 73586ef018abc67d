import Parquet

/// The typed column builders of one table, addressed by schema position, so a batch can be
/// emptied and refilled without giving its memory back (fresh pages cost more than the work).
struct ColumnSet {
  enum Kind {
    case text, int64, int32, bool
  }

  /// For each schema column: which builder array holds it, and where.
  let slots: [(kind: Kind, index: Int)]
  private let textStorage: TextBuilders
  /// `textStorage.columns`, read here without touching the class (no reference counting).
  private let text: UnsafeMutablePointer<TextBuilder>
  let textCount: Int
  var int64s: [Int64Column] = []
  var int32s: [Int32Column] = []
  var bools: [BoolColumn] = []

  init(schema: Schema) {
    var slots: [(Kind, Int)] = []
    var textCount = 0
    for c in schema.columns {
      switch c.physicalType {
      case .byteArray:
        slots.append((.text, textCount))
        textCount += 1
      case .int64:
        slots.append((.int64, int64s.count))
        int64s.append(Int64Column())
      case .int32:
        slots.append((.int32, int32s.count))
        int32s.append(Int32Column())
      case .boolean:
        slots.append((.bool, bools.count))
        bools.append(BoolColumn())
      }
    }
    self.slots = slots
    self.textCount = textCount
    textStorage = TextBuilders(count: textCount)
    text = textStorage.columns
  }

  @inline(__always) func slot(_ column: Int) -> Int { slots[column].index }

  /// Whether the batch must be written now, whatever its row count: a text column passed 1 GiB
  /// (its offsets are 32-bit, and the memory budget is checked only every few thousand rows).
  var isFull: Bool { textStorage.full.pointee }

  // MARK: text

  /// Appends a copy of a value, made valid UTF-8 unless `ascii` says the caller checked a text
  /// that holds these bytes.
  @inline(__always)
  func appendText(_ slot: Int, _ bytes: UnsafeRawBufferPointer, ascii: Bool = false) {
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
    precondition(slot < textCount)
    let column = text + slot
    return try withExtendedLifetime(textStorage) { try body { column.pointee.value($0) } }
  }

  // MARK: parts

  /// The columns in schema order, as the Parquet writer takes them: text columns are borrowed
  /// views, valid while this set lives and is not appended to.
  func columnInputs() -> [ColumnInput] {
    slots.map { kind, index in
      switch kind {
      case .text: return .borrowedText(text[index].view())
      case .int64: return .values(int64s[index].columnValues)
      case .int32: return .values(int32s[index].columnValues)
      case .bool: return .values(bools[index].columnValues)
      }
    }
  }

  /// Bytes the builders have allocated (capacity, not use): what the process really holds.
  var allocatedBytes: Int {
    var total = 0
    for i in 0..<textCount { total += text[i].allocatedBytes }
    for c in int64s { total += c.values.capacity * 8 + c.isNull.capacity }
    for c in int32s { total += c.values.capacity * 4 + c.isNull.capacity }
    for c in bools { total += c.values.capacity + c.isNull.capacity }
    return total
  }

  mutating func removeAll() {
    for i in 0..<textCount { text[i].removeAll() }
    textStorage.full.pointee = false
    for i in int64s.indices { int64s[i].removeAll() }
    for i in int32s.indices { int32s[i].removeAll() }
    for i in bools.indices { bools[i].removeAll() }
  }
}
