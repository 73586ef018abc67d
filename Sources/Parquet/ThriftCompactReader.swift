/// Thrift compact-protocol decoder over untrusted bytes.
///
/// Every read is bounds-checked and every count is checked against the bytes left, so a corrupt
/// footer is an error, never a crash or a huge allocation. Unknown fields are skipped by wire
/// type (new writers add fields; readers that cannot skip them break on new files), and nesting
/// is limited so that a hostile file cannot exhaust the stack.
struct ThriftCompactReader {
  typealias WireType = ThriftCompactWriter.WireType

  private let bytes: UnsafeRawBufferPointer
  private(set) var position: Int
  private var depth = 0
  private static let maxDepth = 32

  init(_ bytes: UnsafeRawBufferPointer, position: Int = 0) {
    self.bytes = bytes
    self.position = position
  }

  private func error(_ what: String) -> ParquetError {
    ParquetError.corrupt("corrupt metadata at byte \(position): \(what)")
  }

  mutating func byte() throws(ParquetError) -> UInt8 {
    guard position < bytes.count else { throw error("unexpected end") }
    defer { position += 1 }
    return bytes[position]
  }

  mutating func varint() throws(ParquetError) -> UInt64 {
    var result: UInt64 = 0
    var shift: UInt64 = 0
    while true {
      let b = try byte()
      result |= UInt64(b & 0x7F) << shift
      if b & 0x80 == 0 { return result }
      shift += 7
      guard shift < 64 else { throw error("varint longer than 10 bytes") }
    }
  }

  mutating func i64() throws(ParquetError) -> Int64 {
    let v = try varint()
    return Int64(bitPattern: (v >> 1) ^ (0 &- (v & 1)))
  }

  mutating func i32() throws(ParquetError) -> Int32 {
    let v = try i64()
    guard let r = Int32(exactly: v) else { throw error("i32 out of range") }
    return r
  }

  /// A length that must fit in what is left of the buffer (each element takes at least
  /// `minimumElementBytes`).
  private mutating func count(_ raw: UInt64, minimumElementBytes: Int) throws(ParquetError) -> Int {
    guard raw <= UInt64(bytes.count - position) / UInt64(max(1, minimumElementBytes)) else {
      throw error("length \(raw) exceeds the metadata")
    }
    return Int(raw)
  }

  mutating func binary() throws(ParquetError) -> UnsafeRawBufferPointer {
    let n = try count(varint(), minimumElementBytes: 1)
    defer { position += n }
    return UnsafeRawBufferPointer(rebasing: bytes[position..<position + n])
  }

  mutating func bytesValue() throws(ParquetError) -> [UInt8] { try Array(binary()) }

  mutating func string() throws(ParquetError) -> String {
    String(decoding: try binary(), as: UTF8.self)
  }

  mutating func double() throws(ParquetError) -> Double {
    guard bytes.count - position >= 8 else { throw error("unexpected end") }
    var raw: UInt64 = 0
    for i in 0..<8 { raw |= UInt64(bytes[position + i]) << (8 * UInt64(i)) }
    position += 8
    return Double(bitPattern: raw)
  }

  /// Reads a list header: element wire type and count.
  mutating func listHeader() throws(ParquetError) -> (type: UInt8, count: Int) {
    let h = try byte()
    var n = UInt64(h >> 4)
    if n == 15 { n = try varint() }
    return (h & 0x0F, try count(n, minimumElementBytes: 1))
  }

  /// Reads a struct, handing each field id and wire type to `body`, which must consume the value
  /// (or call `skip`).
  mutating func readStruct(_ body: (inout ThriftCompactReader, Int16, UInt8) throws(ParquetError) -> Void)
    throws(ParquetError)
  {
    depth += 1
    guard depth <= Self.maxDepth else { throw error("metadata nested too deeply") }
    defer { depth -= 1 }
    var lastID: Int16 = 0
    while true {
      let h = try byte()
      if h == 0 { return }
      let type = h & 0x0F
      let delta = h >> 4
      let id: Int16
      if delta == 0 {
        guard let v = Int16(exactly: try i64()) else { throw error("field id out of range") }
        id = v
      } else {
        id = lastID &+ Int16(delta)
      }
      lastID = id
      try body(&self, id, type)
    }
  }

  /// Reads a field's boolean, which compact protocol keeps in the field header's type.
  func bool(_ type: UInt8) throws(ParquetError) -> Bool {
    switch type {
    case WireType.boolTrue.rawValue: return true
    case WireType.boolFalse.rawValue: return false
    default: throw error("expected a boolean, found wire type \(type)")
    }
  }

  /// Reads a list element boolean (one byte; writers disagree on 0/1 versus 1/2).
  mutating func listBool() throws(ParquetError) -> Bool {
    let b = try byte()
    return b == 1
  }

  mutating func expect(_ type: UInt8, _ wanted: WireType, field: Int16) throws(ParquetError) {
    // i8/i16/i32/i64 share the zigzag varint encoding, so any integer width is accepted.
    let integers: ClosedRange<UInt8> = WireType.i8.rawValue...WireType.i64.rawValue
    if type == wanted.rawValue { return }
    if integers.contains(type) && integers.contains(wanted.rawValue) && type != WireType.i8.rawValue { return }
    throw error("field \(field) has wire type \(type), expected \(wanted.rawValue)")
  }

  /// A field's value, after checking its wire type.
  mutating func i32(_ type: UInt8, _ field: Int16) throws(ParquetError) -> Int32 {
    try expect(type, .i32, field: field)
    return try i32()
  }

  mutating func i64(_ type: UInt8, _ field: Int16) throws(ParquetError) -> Int64 {
    try expect(type, .i64, field: field)
    return try i64()
  }

  mutating func string(_ type: UInt8, _ field: Int16) throws(ParquetError) -> String {
    try expect(type, .binary, field: field)
    return try string()
  }

  /// Skips one value of wire type `type`.
  mutating func skip(_ type: UInt8) throws(ParquetError) {
    switch type {
    case WireType.boolTrue.rawValue, WireType.boolFalse.rawValue: return
    case WireType.i8.rawValue: _ = try byte()
    case WireType.i16.rawValue, WireType.i32.rawValue, WireType.i64.rawValue: _ = try varint()
    case WireType.double.rawValue:
      guard bytes.count - position >= 8 else { throw error("unexpected end") }
      position += 8
    case WireType.binary.rawValue: _ = try binary()
    case WireType.list.rawValue, 10:
      let (elementType, n) = try listHeader()
      try nested { r throws(ParquetError) in
        for _ in 0..<n { try r.skipElement(elementType) }
      }
    case 11:
      let n = try count(varint(), minimumElementBytes: 2)
      guard n > 0 else { return }
      let kinds = try byte()
      try nested { r throws(ParquetError) in
        for _ in 0..<n {
          try r.skipElement(kinds >> 4)
          try r.skipElement(kinds & 0x0F)
        }
      }
    case WireType.structure.rawValue:
      try readStruct { r, _, t throws(ParquetError) in try r.skip(t) }
    default:
      throw error("unknown wire type \(type)")
    }
  }

  /// List and map elements: booleans take a byte there.
  private mutating func skipElement(_ type: UInt8) throws(ParquetError) {
    if type == WireType.boolTrue.rawValue || type == WireType.boolFalse.rawValue {
      _ = try byte()
    } else {
      try skip(type)
    }
  }

  private mutating func nested(_ body: (inout ThriftCompactReader) throws(ParquetError) -> Void)
    throws(ParquetError)
  {
    depth += 1
    guard depth <= Self.maxDepth else { throw error("metadata nested too deeply") }
    defer { depth -= 1 }
    try body(&self)
  }
}
