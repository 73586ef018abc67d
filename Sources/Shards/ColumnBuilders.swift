import LogBytes
import Parquet

/// Growable columns for one batch of rows. Text goes in through `appendText`, which keeps the
/// column valid UTF-8 without copying the (usual) all-ASCII case twice.
struct TextColumn {
  var values = ByteArrayValues()

  /// `ascii`: the caller checked a text that holds these bytes (a whole log line), so they
  /// need no check of their own.
  @inline(__always)
  mutating func appendText(_ bytes: UnsafeRawBufferPointer, ascii: Bool = false) {
    if ascii || UTF8Sanitizer.isASCII(bytes) {
      values.append(bytes)
    } else {
      UTF8Sanitizer.appendSanitized(bytes, to: &values.bytes)
      values.ends.append(UInt32(values.bytes.count))
      values.isNull.append(false)
    }
  }

  @inline(__always)
  mutating func appendNull() { values.appendNull() }

  @inline(__always)
  mutating func append(_ bytes: [UInt8], present: Bool) {
    if present {
      bytes.withUnsafeBytes { appendText($0) }
    } else {
      appendNull()
    }
  }

  mutating func append(_ text: String?) {
    if var text {
      text.withUTF8 { appendText(UnsafeRawBufferPointer($0)) }
    } else {
      appendNull()
    }
  }

}

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
