/// What a column's values mean, from `LogicalType` or the legacy `ConvertedType`.
public enum ValueKind: Sendable, Equatable {
  case boolean
  case integer
  case double
  case string
  case bytes
  case date
  /// Timestamp in `unitsPerSecond` (1,000 / 1,000,000 / 1,000,000,000) since the epoch.
  case timestamp(unitsPerSecond: Int64)
  /// A type this reader does not decode (INT96, nested groups, ...).
  case unsupported(String)
}

/// One leaf column of a file's schema.
public struct LeafColumn: Sendable {
  public var name: String
  /// nil for a type this reader does not know.
  public var physicalType: PhysicalType?
  public var typeLength: Int32
  public var optional: Bool
  public var kind: ValueKind
  /// Field id, when the writer set one.
  public var fieldId: Int32?
  /// Nested leaves (inside a group or repeated) are listed but not decoded.
  public var nested: Bool
}

/// Min/max as stored (PLAIN bytes, no length prefix), trusted only under `TYPE_ORDER`.
public struct ColumnChunkStatistics: Sendable {
  public var min: [UInt8]?
  public var max: [UInt8]?
  public var nullCount: Int64?
  public var distinctCount: Int64?

  /// A min or max of an INT32 (4 bytes) or INT64 (8 bytes) column, from its little-endian PLAIN form.
  public static func integer(_ b: [UInt8]) -> Int64 {
    var v: UInt64 = 0
    for (i, byte) in b.prefix(8).enumerated() { v |= UInt64(byte) << (8 * UInt64(i)) }
    return b.count == 4 ? Int64(Int32(truncatingIfNeeded: v)) : Int64(bitPattern: v)
  }
}

public struct ColumnChunkMetadata: Sendable {
  public var physicalType: PhysicalType?
  /// The encodings the chunk's pages use (those this reader knows).
  public var encodings: [Encoding]
  public var path: [String]
  /// nil for a codec this reader does not know.
  public var codec: CompressionCodec?
  public var valueCount: Int64
  public var uncompressedBytes: Int64
  public var compressedBytes: Int64
  public var dataPageOffset: Int64
  public var dictionaryPageOffset: Int64?
  public var statistics: ColumnChunkStatistics?
  public var bloomFilterOffset: Int64?
  public var bloomFilterLength: Int32?
}

public struct RowGroupMetadata: Sendable {
  public var rows: Int64
  public var totalBytes: Int64
  public var columns: [ColumnChunkMetadata]
  public var sortingColumns: [Int32]
}

/// A decoded Parquet footer (`FileMetaData`), restricted to what a flat-schema reader needs.
public struct FileMetadata: Sendable {
  public var version: Int32 = 0
  public var columns: [LeafColumn] = []
  public var rows: Int64 = 0
  public var rowGroups: [RowGroupMetadata] = []
  public var keyValue: [(key: String, value: String)] = []
  public var createdBy: String?
  /// `column_orders` says TYPE_ORDER for every column, so `min_value`/`max_value` are usable.
  public var typeDefinedOrder = false

  public func value(forKey key: String) -> String? { keyValue.first { $0.key == key }?.value }

  public func columnIndex(named name: String) -> Int? { columns.firstIndex { $0.name == name } }
}

private struct RawSchemaElement {
  var type: Int32?
  var typeLength: Int32 = 0
  var repetition: Int32?
  var name = ""
  var children: Int32?
  var converted: Int32?
  var fieldId: Int32?
  var logical: ValueKind?
  var logicalIsUnknown = false
}

extension FileMetadata {
  /// Decodes a footer.
  public static func decode(_ bytes: UnsafeRawBufferPointer) throws(ParquetError) -> FileMetadata {
    var r = ThriftCompactReader(bytes)
    var m = FileMetadata()
    var elements: [RawSchemaElement] = []
    var orders = 0
    try r.readStruct { r, id, t throws(ParquetError) in
      switch id {
      case 1: m.version = try r.i32(t, id)
      case 2:
        try r.expect(t, .list, field: id)
        let (_, n) = try r.listHeader()
        for _ in 0..<n { elements.append(try decodeSchemaElement(&r)) }
      case 3: m.rows = try r.i64(t, id)
      case 4:
        try r.expect(t, .list, field: id)
        let (_, n) = try r.listHeader()
        for _ in 0..<n { m.rowGroups.append(try decodeRowGroup(&r)) }
      case 5:
        try r.expect(t, .list, field: id)
        let (_, n) = try r.listHeader()
        for _ in 0..<n {
          var key = ""
          var value = ""
          try r.readStruct { r, id, t throws(ParquetError) in
            switch (id, t) {
            case (1, 8): key = try r.string()
            case (2, 8): value = try r.string()
            default: try r.skip(t)
            }
          }
          m.keyValue.append((key, value))
        }
      case 6: m.createdBy = try r.string(t, id)
      case 7:
        try r.expect(t, .list, field: id)
        let (_, n) = try r.listHeader()
        for _ in 0..<n {
          try r.readStruct { r, id, t throws(ParquetError) in
            if id == 1 { orders += 1 }
            try r.skip(t)
          }
        }
      case 8, 9: throw ParquetError.unsupported("the file is encrypted; encrypted Parquet is not supported")
      default: try r.skip(t)
      }
    }
    m.columns = try leaves(of: elements)
    m.typeDefinedOrder = orders == m.columns.count && orders > 0
    for (g, group) in m.rowGroups.enumerated() {
      guard group.columns.count == m.columns.count else {
        throw ParquetError.corrupt(
          "corrupt metadata: row group \(g) has \(group.columns.count) column chunks for \(m.columns.count) columns")
      }
      guard group.rows >= 0 else {
        throw ParquetError.corrupt("corrupt metadata: row group \(g) has a negative row count")
      }
    }
    return m
  }

  /// Flattens the depth-first schema into its leaves, marking those below a group or repeated.
  private static func leaves(of elements: [RawSchemaElement]) throws(ParquetError) -> [LeafColumn] {
    guard let root = elements.first else { throw ParquetError.corrupt("corrupt metadata: empty schema") }
    var result: [LeafColumn] = []
    var index = 1
    func walk(_ children: Int, prefix: String, nested: Bool, depth: Int) throws(ParquetError) {
      guard depth < 64 else { throw ParquetError.corrupt("corrupt metadata: schema nested too deeply") }
      for _ in 0..<children {
        guard index < elements.count else {
          throw ParquetError.corrupt("corrupt metadata: schema has fewer elements than its groups declare")
        }
        let e = elements[index]
        index += 1
        let name = prefix.isEmpty ? e.name : prefix + "." + e.name
        let repeated = e.repetition == Repetition.repeated.rawValue
        if let n = e.children, n > 0 || e.type == nil {
          try walk(Int(max(0, n)), prefix: name, nested: true, depth: depth + 1)
          continue
        }
        result.append(
          LeafColumn(
            name: name, physicalType: e.type.flatMap(PhysicalType.init), typeLength: e.typeLength,
            optional: e.repetition != Repetition.required.rawValue,
            kind: kind(of: e), fieldId: e.fieldId, nested: nested || repeated))
      }
    }
    try walk(Int(max(0, root.children ?? 0)), prefix: "", nested: false, depth: 0)
    guard index == elements.count else {
      throw ParquetError.corrupt("corrupt metadata: schema has elements outside its groups")
    }
    return result
  }

  private static func kind(of e: RawSchemaElement) -> ValueKind {
    if let logical = e.logical { return logical }
    switch e.converted.flatMap(ConvertedType.init) {
    case .utf8?, .enumeration?, .json?: return .string
    case .date?: return .date
    case .timestampMillis?: return .timestamp(unitsPerSecond: 1000)
    case .timestampMicros?: return .timestamp(unitsPerSecond: 1_000_000)
    default: break
    }
    switch e.type.flatMap(PhysicalType.init) {
    case .boolean?: return .boolean
    case .int32?, .int64?: return .integer
    case .int96?: return .unsupported("INT96")
    case .float?, .double?: return .double
    case .byteArray?, .fixedLenByteArray?: return .bytes
    case nil: return .unsupported("type \(e.type.map(String.init) ?? "none")")
    }
  }

  private static func decodeSchemaElement(_ r: inout ThriftCompactReader) throws(ParquetError) -> RawSchemaElement {
    var e = RawSchemaElement()
    try r.readStruct { r, id, t throws(ParquetError) in
      switch id {
      case 1: e.type = try r.i32(t, id)
      case 2: e.typeLength = try r.i32(t, id)
      case 3: e.repetition = try r.i32(t, id)
      case 4: e.name = try r.string(t, id)
      case 5: e.children = try r.i32(t, id)
      case 6: e.converted = try r.i32(t, id)
      case 9: e.fieldId = try r.i32(t, id)
      case 10:
        try r.expect(t, .structure, field: id)
        try r.readStruct { r, member, t throws(ParquetError) in
          switch member {
          case 1, 4, 12: e.logical = .string
          case 6: e.logical = .date
          case 10: e.logical = .integer
          case 8:
            var perSecond: Int64 = 1_000_000
            try r.readStruct { r, f, t throws(ParquetError) in
              guard f == 2 else { return try r.skip(t) }
              try r.readStruct { r, unit, t throws(ParquetError) in
                perSecond = unit == 1 ? 1000 : unit == 3 ? 1_000_000_000 : 1_000_000
                try r.skip(t)
              }
            }
            e.logical = .timestamp(unitsPerSecond: perSecond)
            return
          default: break
          }
          try r.skip(t)
        }
      default: try r.skip(t)
      }
    }
    return e
  }

  private static func decodeRowGroup(_ r: inout ThriftCompactReader) throws(ParquetError) -> RowGroupMetadata {
    var g = RowGroupMetadata(rows: 0, totalBytes: 0, columns: [], sortingColumns: [])
    try r.readStruct { r, id, t throws(ParquetError) in
      switch id {
      case 1:
        try r.expect(t, .list, field: id)
        let (_, n) = try r.listHeader()
        for _ in 0..<n { g.columns.append(try decodeColumnChunk(&r)) }
      case 2: g.totalBytes = try r.i64(t, id)
      case 3: g.rows = try r.i64(t, id)
      case 4:
        try r.expect(t, .list, field: id)
        let (_, n) = try r.listHeader()
        for _ in 0..<n {
          try r.readStruct { r, f, t throws(ParquetError) in
            if f == 1, t == 5 { g.sortingColumns.append(try r.i32()) } else { try r.skip(t) }
          }
        }
      default: try r.skip(t)
      }
    }
    return g
  }

  private static func decodeColumnChunk(_ r: inout ThriftCompactReader) throws(ParquetError) -> ColumnChunkMetadata {
    var c: ColumnChunkMetadata?
    try r.readStruct { r, id, t throws(ParquetError) in
      if id == 3 {
        try r.expect(t, .structure, field: id)
        c = try decodeColumnMetadata(&r)
      } else {
        try r.skip(t)
      }
    }
    guard let c else { throw ParquetError.corrupt("corrupt metadata: a column chunk has no meta_data") }
    return c
  }

  private static func decodeColumnMetadata(_ r: inout ThriftCompactReader) throws(ParquetError)
    -> ColumnChunkMetadata
  {
    var c = ColumnChunkMetadata(
      physicalType: nil, encodings: [], path: [], codec: .uncompressed, valueCount: 0, uncompressedBytes: 0,
      compressedBytes: 0,
      dataPageOffset: -1)
    try r.readStruct { r, id, t throws(ParquetError) in
      switch id {
      case 1: c.physicalType = PhysicalType(rawValue: try r.i32(t, id))
      case 2:
        try r.expect(t, .list, field: id)
        let (_, n) = try r.listHeader()
        for _ in 0..<n { if let e = Encoding(rawValue: try r.i32()) { c.encodings.append(e) } }
      case 3:
        try r.expect(t, .list, field: id)
        let (_, n) = try r.listHeader()
        for _ in 0..<n { c.path.append(try r.string()) }
      case 4: c.codec = CompressionCodec(rawValue: try r.i32(t, id))
      case 5: c.valueCount = try r.i64(t, id)
      case 6: c.uncompressedBytes = try r.i64(t, id)
      case 7: c.compressedBytes = try r.i64(t, id)
      case 9: c.dataPageOffset = try r.i64(t, id)
      case 11: c.dictionaryPageOffset = try r.i64(t, id)
      case 12:
        try r.expect(t, .structure, field: id)
        var s = ColumnChunkStatistics()
        var legacyMin: [UInt8]?
        var legacyMax: [UInt8]?
        try r.readStruct { r, f, t throws(ParquetError) in
          switch (f, t) {
          case (1, 8): legacyMax = try r.bytesValue()
          case (2, 8): legacyMin = try r.bytesValue()
          case (3, 5), (3, 6): s.nullCount = try r.i64()
          case (4, 5), (4, 6): s.distinctCount = try r.i64()
          case (5, 8): s.max = try r.bytesValue()
          case (6, 8): s.min = try r.bytesValue()
          default: try r.skip(t)
          }
        }
        // The deprecated fields used signed byte order; trust them only when they agree.
        if s.min == nil, s.max == nil, let legacyMin, legacyMin == legacyMax {
          s.min = legacyMin
          s.max = legacyMax
        }
        c.statistics = s
      case 14: c.bloomFilterOffset = try r.i64(t, id)
      case 15: c.bloomFilterLength = try r.i32(t, id)
      default: try r.skip(t)
      }
    }
    return c
  }
}
