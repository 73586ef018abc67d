/// Thrift compact-protocol encoder for the handful of shapes Parquet metadata uses.
///
/// Field headers are delta-encoded against the previous field id of the *enclosing* struct, so
/// nested structs push their own "last id" and restore it on exit (the bug behind several
/// unreadable third-party files).
struct ThriftCompactWriter {
  enum WireType: UInt8 {
    case boolTrue = 1
    case boolFalse = 2
    case i8 = 3
    case i16 = 4
    case i32 = 5
    case i64 = 6
    case double = 7
    case binary = 8
    case list = 9
    case structure = 12
  }

  private(set) var bytes: [UInt8] = []
  private var lastFieldId: Int16 = 0
  private var fieldIdStack: [Int16] = []

  init() { bytes.reserveCapacity(256) }

  // MARK: primitives

  mutating func writeVarint(_ value: UInt64) {
    var v = value
    while v >= 0x80 {
      bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
      v >>= 7
    }
    bytes.append(UInt8(v))
  }

  mutating func writeZigZag32(_ value: Int32) {
    writeVarint(UInt64(UInt32(bitPattern: (value << 1) ^ (value >> 31))))
  }

  mutating func writeZigZag64(_ value: Int64) {
    writeVarint(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
  }

  private mutating func fieldHeader(_ id: Int16, _ type: WireType) {
    let delta = Int(id) - Int(lastFieldId)
    if delta > 0 && delta <= 15 {
      bytes.append(UInt8(delta << 4) | type.rawValue)
    } else {
      bytes.append(type.rawValue)
      writeZigZag32(Int32(id))
    }
    lastFieldId = id
  }

  // MARK: struct fields

  mutating func field(_ id: Int16, i32 value: Int32) {
    fieldHeader(id, .i32)
    writeZigZag32(value)
  }

  mutating func field(_ id: Int16, i64 value: Int64) {
    fieldHeader(id, .i64)
    writeZigZag64(value)
  }

  mutating func field(_ id: Int16, i16 value: Int16) {
    fieldHeader(id, .i16)
    writeZigZag32(Int32(value))
  }

  mutating func field(_ id: Int16, i8 value: Int8) {
    fieldHeader(id, .i8)
    bytes.append(UInt8(bitPattern: value))
  }

  mutating func field(_ id: Int16, bool value: Bool) {
    fieldHeader(id, value ? .boolTrue : .boolFalse)
  }

  mutating func field(_ id: Int16, binary value: some Collection<UInt8>) {
    fieldHeader(id, .binary)
    writeVarint(UInt64(value.count))
    bytes.append(contentsOf: value)
  }

  mutating func field(_ id: Int16, string value: String) {
    field(id, binary: Array(value.utf8))
  }

  /// Opens a nested struct field; close it with `endStruct()`.
  mutating func beginStruct(_ id: Int16) {
    fieldHeader(id, .structure)
    fieldIdStack.append(lastFieldId)
    lastFieldId = 0
  }

  mutating func endStruct() {
    bytes.append(0)
    lastFieldId = fieldIdStack.popLast() ?? 0
  }

  /// A struct field whose struct has no fields (StringType, MicroSeconds, TypeDefinedOrder...).
  mutating func emptyStruct(_ id: Int16) {
    beginStruct(id)
    endStruct()
  }

  mutating func listHeader(_ id: Int16, elementType: WireType, count: Int) {
    fieldHeader(id, .list)
    if count < 15 {
      bytes.append(UInt8(count << 4) | elementType.rawValue)
    } else {
      bytes.append(0xF0 | elementType.rawValue)
      writeVarint(UInt64(count))
    }
  }

  mutating func field(_ id: Int16, i32List values: [Int32]) {
    listHeader(id, elementType: .i32, count: values.count)
    for v in values { writeZigZag32(v) }
  }

  mutating func field(_ id: Int16, stringList values: [String]) {
    listHeader(id, elementType: .binary, count: values.count)
    for v in values {
      let utf8 = Array(v.utf8)
      writeVarint(UInt64(utf8.count))
      bytes.append(contentsOf: utf8)
    }
  }

  /// Begins one struct element inside a list of structs; close with `endListStruct()`.
  mutating func beginListStruct() {
    fieldIdStack.append(lastFieldId)
    lastFieldId = 0
  }

  mutating func endListStruct() { endStruct() }

  /// Ends the top-level struct being written.
  mutating func stop() { bytes.append(0) }
}
