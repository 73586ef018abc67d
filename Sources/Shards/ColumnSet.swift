import Parquet

/// The typed column builders of one table, addressed by schema position, so a batch can be
/// emptied and refilled without giving its memory back (fresh pages cost more than the work).
struct ColumnSet {
  enum Kind {
    case text, int64, int32, bool
  }

  /// For each schema column: which builder array holds it, and where.
  let slots: [(kind: Kind, index: Int)]
  var text: [TextColumn] = []
  var int64s: [Int64Column] = []
  var int32s: [Int32Column] = []
  var bools: [BoolColumn] = []

  init(schema: Schema) {
    var slots: [(Kind, Int)] = []
    for c in schema.columns {
      switch c.physicalType {
      case .byteArray:
        slots.append((.text, text.count))
        text.append(TextColumn())
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
  }

  @inline(__always) func slot(_ column: Int) -> Int { slots[column].index }

  func columnValues() -> [ColumnValues] {
    slots.map { kind, index in
      switch kind {
      case .text: return .byteArray(text[index].values)
      case .int64: return int64s[index].columnValues
      case .int32: return int32s[index].columnValues
      case .bool: return bools[index].columnValues
      }
    }
  }

  /// Bytes the builders have allocated (capacity, not use): what the process really holds.
  var allocatedBytes: Int {
    var total = 0
    for t in text { total += t.values.bytes.capacity + t.values.ends.capacity * 4 + t.values.isNull.capacity }
    for c in int64s { total += c.values.capacity * 8 + c.isNull.capacity }
    for c in int32s { total += c.values.capacity * 4 + c.isNull.capacity }
    for c in bools { total += c.values.capacity + c.isNull.capacity }
    return total
  }

  mutating func removeAll() {
    for i in text.indices { text[i].values.removeAll(keepingCapacity: true) }
    for i in int64s.indices { int64s[i].removeAll() }
    for i in int32s.indices { int32s[i].removeAll() }
    for i in bools.indices { bools[i].removeAll() }
  }
}
