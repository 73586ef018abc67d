/// Encodes `FileMetaData` (parquet.thrift field ids; see the field table in parquet-notes §3).
enum FooterEncoder {
  struct ChunkInfo {
    var descriptor: ColumnDescriptor
    var fileOffset: Int
    var chunk: EncodedColumnChunk
    var bloomFilter: (offset: Int, length: Int)?
  }

  struct RowGroupInfo {
    var rows: Int
    var sortedByColumn: Int?
    var chunks: [ChunkInfo]
  }

  static func encode(
    schema: Schema, rowGroups: [RowGroupInfo], totalRows: Int,
    keyValueMetadata: [(String, String)], createdBy: String
  ) -> [UInt8] {
    var w = ThriftCompactWriter()
    w.field(1, i32: 1)
    // 2: schema, depth-first; element 0 is the root.
    w.listHeader(2, elementType: .structure, count: schema.columns.count + 1)
    w.beginListStruct()
    w.field(3, i32: Repetition.required.rawValue)
    w.field(4, string: schema.name)
    w.field(5, i32: Int32(schema.columns.count))
    w.endListStruct()
    for c in schema.columns { writeSchemaElement(c, into: &w) }
    w.field(3, i64: Int64(totalRows))
    w.listHeader(4, elementType: .structure, count: rowGroups.count)
    for (ordinal, g) in rowGroups.enumerated() { writeRowGroup(g, ordinal: ordinal, into: &w) }
    if !keyValueMetadata.isEmpty {
      w.listHeader(5, elementType: .structure, count: keyValueMetadata.count)
      for (k, v) in keyValueMetadata {
        w.beginListStruct()
        w.field(1, string: k)
        w.field(2, string: v)
        w.endListStruct()
      }
    }
    w.field(6, string: createdBy)
    // 7: column_orders, TYPE_ORDER for every leaf; without it pyarrow ignores min/max.
    w.listHeader(7, elementType: .structure, count: schema.columns.count)
    for _ in schema.columns {
      w.beginListStruct()
      w.emptyStruct(1)
      w.endListStruct()
    }
    w.stop()
    return w.bytes
  }

  private static func writeSchemaElement(_ c: ColumnDescriptor, into w: inout ThriftCompactWriter) {
    w.beginListStruct()
    w.field(1, i32: c.physicalType.rawValue)
    w.field(3, i32: (c.nullable ? Repetition.optional : .required).rawValue)
    w.field(4, string: c.name)
    switch c.logicalType {
    case .none: break
    case .string: w.field(6, i32: ConvertedType.utf8.rawValue)
    case .timestampMicrosUTC: w.field(6, i32: ConvertedType.timestampMicros.rawValue)
    case .date: w.field(6, i32: ConvertedType.date.rawValue)
    case .integer(let bits, let signed):
      let converted: ConvertedType
      switch (bits, signed) {
      case (8, true): converted = .int8
      case (16, true): converted = .int16
      case (32, true): converted = .int32
      case (64, true): converted = .int64
      case (8, false): converted = .uint8
      case (16, false): converted = .uint16
      case (32, false): converted = .uint32
      default: converted = .uint64
      }
      w.field(6, i32: converted.rawValue)
    }
    w.field(9, i32: c.fieldId)
    switch c.logicalType {
    case .none: break
    case .string:
      w.beginStruct(10)
      w.emptyStruct(1)
      w.endStruct()
    case .date:
      w.beginStruct(10)
      w.emptyStruct(6)
      w.endStruct()
    case .timestampMicrosUTC:
      w.beginStruct(10)
      w.beginStruct(8)
      w.field(1, bool: true)
      w.beginStruct(2)
      w.emptyStruct(2)
      w.endStruct()
      w.endStruct()
      w.endStruct()
    case .integer(let bits, let signed):
      w.beginStruct(10)
      w.beginStruct(10)
      w.field(1, i8: bits)
      w.field(2, bool: signed)
      w.endStruct()
      w.endStruct()
    }
    w.endListStruct()
  }

  private static func writeRowGroup(_ g: RowGroupInfo, ordinal: Int, into w: inout ThriftCompactWriter) {
    w.beginListStruct()
    w.listHeader(1, elementType: .structure, count: g.chunks.count)
    var totalUncompressed = 0
    var totalCompressed = 0
    for info in g.chunks {
      let c = info.chunk
      totalUncompressed += c.totalUncompressedSize
      totalCompressed += c.compressedSize
      w.beginListStruct()
      w.field(2, i64: 0)  // ColumnChunk.file_offset: required, and 0 by convention.
      w.beginStruct(3)
      w.field(1, i32: info.descriptor.physicalType.rawValue)
      // Every encoding in the chunk: levels are RLE, a dictionary page is PLAIN.
      let encodings: [Int32] =
        c.usedDictionary
        ? [Encoding.rle.rawValue, c.valueEncoding.rawValue, Encoding.plain.rawValue]
        : [Encoding.rle.rawValue, c.valueEncoding.rawValue]
      w.field(2, i32List: encodings)
      w.field(3, stringList: [info.descriptor.name])
      w.field(4, i32: CompressionCodec.zstd.rawValue)
      w.field(5, i64: Int64(c.numValues))
      w.field(6, i64: Int64(c.totalUncompressedSize))
      w.field(7, i64: Int64(c.compressedSize))
      w.field(9, i64: Int64(info.fileOffset + c.dataPageOffset))
      if let d = c.dictionaryPageOffset { w.field(11, i64: Int64(info.fileOffset + d)) }
      c.statistics.write(into: &w, fieldId: 12)
      // 13: encoding_stats, so parquet-java's dictionary filter knows every page is dictionary.
      let stats: [(PageType, Encoding, Int)] =
        c.usedDictionary
        ? [(.dictionaryPage, .plain, 1), (.dataPage, .rleDictionary, c.dataPageCount)]
        : [(.dataPage, c.valueEncoding, c.dataPageCount)]
      w.listHeader(13, elementType: .structure, count: stats.count)
      for (pageType, encoding, count) in stats {
        w.beginListStruct()
        w.field(1, i32: pageType.rawValue)
        w.field(2, i32: encoding.rawValue)
        w.field(3, i32: Int32(count))
        w.endListStruct()
      }
      if let bloom = info.bloomFilter {
        w.field(14, i64: Int64(bloom.offset))
        w.field(15, i32: Int32(bloom.length))
      }
      w.endStruct()
      w.endListStruct()
    }
    w.field(2, i64: Int64(totalUncompressed))
    w.field(3, i64: Int64(g.rows))
    if let sorted = g.sortedByColumn {
      w.listHeader(4, elementType: .structure, count: 1)
      w.beginListStruct()
      w.field(1, i32: Int32(sorted))
      w.field(2, bool: false)
      w.field(3, bool: true)
      w.endListStruct()
    }
    let first = g.chunks.first.map { $0.fileOffset } ?? 0
    w.field(5, i64: Int64(first))
    w.field(6, i64: Int64(totalCompressed))
    w.field(7, i16: Int16(truncatingIfNeeded: ordinal))
    w.endListStruct()
  }
}
