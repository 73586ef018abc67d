/// The fields of `PageHeader` a reader needs.
struct PageHeader {
  /// As stored; `type` is nil for a page type this reader does not know (skipped).
  var typeCode: Int32 = -1
  var uncompressedSize = -1
  var compressedSize = -1
  var valueCount = 0
  var encodingCode: Int32 = 0
  var definitionLevelBytes = 0
  var repetitionLevelBytes = 0
  var isCompressed = true
  /// The page's CRC-32, when its writer stored one.
  var crc: Int32?

  var type: PageType? { PageType(rawValue: typeCode) }
  /// nil for an encoding this reader does not know (the page is refused, naming `encodingCode`).
  var encoding: Encoding? { Encoding(rawValue: encodingCode) }

  static func decode(_ r: inout ThriftCompactReader) throws(ParquetError) -> PageHeader {
    var h = PageHeader()
    try r.readStruct { r, id, t throws(ParquetError) in
      switch id {
      case 1: h.typeCode = try r.i32(t, id)
      case 2: h.uncompressedSize = Int(try r.i32(t, id))
      case 3: h.compressedSize = Int(try r.i32(t, id))
      case 4: h.crc = try r.i32(t, id)
      case 5, 7, 8:
        try r.expect(t, .structure, field: id)
        try r.readStruct { r, f, t throws(ParquetError) in
          switch (id, f) {
          case (_, 1): h.valueCount = Int(try r.i32(t, f))
          case (5, 2), (8, 4): h.encodingCode = try r.i32(t, f)
          case (7, 2): _ = try r.i32(t, f)
          case (8, 5): h.definitionLevelBytes = Int(try r.i32(t, f))
          case (8, 6): h.repetitionLevelBytes = Int(try r.i32(t, f))
          case (8, 7): h.isCompressed = try r.bool(t)
          default: try r.skip(t)
          }
        }
      default: try r.skip(t)
      }
    }
    guard h.typeCode >= 0, h.compressedSize >= 0, h.uncompressedSize >= 0 else {
      throw ParquetError.corrupt("corrupt page header: missing type or sizes")
    }
    guard h.valueCount >= 0 else { throw ParquetError.corrupt("corrupt page header: negative value count") }
    return h
  }
}
