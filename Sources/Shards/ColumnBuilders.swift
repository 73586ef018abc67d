import Parquet

struct Int64Column {
  var values: [Int64] = []
  var isNull: [Bool] = []

  @inline(__always)
  mutating func append(_ v: Int64?) {
    values.append(v ?? 0)
    isNull.append(v == nil)
  }

  var columnValues: ColumnValues { .int64(values: values, isNull: isNull) }

  mutating func removeAll() {
    values.removeAll(keepingCapacity: true)
    isNull.removeAll(keepingCapacity: true)
  }
}

struct Int32Column {
  var values: [Int32] = []
  var isNull: [Bool] = []

  @inline(__always)
  mutating func append(_ v: Int32?) {
    values.append(v ?? 0)
    isNull.append(v == nil)
  }

  var columnValues: ColumnValues { .int32(values: values, isNull: isNull) }

  mutating func removeAll() {
    values.removeAll(keepingCapacity: true)
    isNull.removeAll(keepingCapacity: true)
  }
}

struct BoolColumn {
  var values: [Bool] = []
  var isNull: [Bool] = []

  @inline(__always)
  mutating func append(_ v: Bool?) {
    values.append(v ?? false)
    isNull.append(v == nil)
  }

  var columnValues: ColumnValues { .boolean(values: values, isNull: isNull) }

  mutating func removeAll() {
    values.removeAll(keepingCapacity: true)
    isNull.removeAll(keepingCapacity: true)
  }
}
