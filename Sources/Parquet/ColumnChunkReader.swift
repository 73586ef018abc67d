import CZlib
import CZstd

/// Decodes the pages of one column chunk: v1 and v2 data pages, dictionary pages, PLAIN,
/// PLAIN_DICTIONARY/RLE_DICTIONARY, RLE booleans, DELTA_BINARY_PACKED integers and
/// DELTA_LENGTH_BYTE_ARRAY text; uncompressed, snappy, gzip and zstd pages. Flat columns only
/// (definition level 0 or 1, no repetition).
///
/// This file walks the pages and dispatches on their type and encoding; the values land
/// through `ColumnChunkReader+Values.swift` (PLAIN, dictionary codes, byte arrays), pages are
/// inflated by `ColumnChunkReader+Decompression.swift`, and zstd byte-array chunks take the
/// shortcut of `ColumnChunkReader+Arena.swift`. The encodings' own decoders are
/// `PlainCursor`, `RLEHybridDecoder`, `DeltaBinaryPackedDecoder` and `SnappyDecompressor`.
struct ColumnChunkReader {
  /// Largest decompressed page accepted; pages are about 1 MiB in practice.
  static let maxPageBytes = 256 << 20
  /// Largest row count accepted for one row group, so that a lying footer cannot make the
  /// reader allocate without bound.
  static let maxRows: Int64 = 64 << 20

  let file: UnsafeRawBufferPointer
  let leaf: LeafColumn
  let type: PhysicalType
  let chunk: ColumnChunkMetadata
  let rows: Int

  var isNull: [Bool] = []
  var bools: [Bool] = []
  var int32s: [Int32] = []
  var int64s: [Int64] = []
  var doubles: [Double] = []
  var bytes = ByteArrayValues()
  var codes: [UInt32] = []
  var dictionary: DictionaryValues?
  var decoded = 0
  /// Set while `readIntoArena` hands a page over: where its values already sit in the arena.
  var arenaOffset: Int?
  /// Decode definition levels only (see `ParquetFile.readNulls`).
  var nullsOnly = false

  enum DictionaryValues {
    case bytes(ByteArrayValues)
    case bools([Bool])
    case int32s([Int32])
    case int64s([Int64])
    case doubles([Double])

    var count: Int {
      switch self {
      case .bytes(let b): return b.count
      case .bools(let v): return v.count
      case .int32s(let v): return v.count
      case .int64s(let v): return v.count
      case .doubles(let v): return v.count
      }
    }
  }

  init(file: UnsafeRawBufferPointer, leaf: LeafColumn, chunk: ColumnChunkMetadata, rows: Int64)
    throws(ParquetError)
  {
    guard !leaf.nested else {
      throw ParquetError.unsupported("column \(leaf.name) is nested; only flat columns are read")
    }
    if case .unsupported(let what) = leaf.kind {
      throw ParquetError.unsupported("column \(leaf.name) has an unsupported type (\(what))")
    }
    guard let type = leaf.physicalType, chunk.physicalType == type else {
      throw ParquetError.corrupt("corrupt metadata: column \(leaf.name) chunk type differs from its schema type")
    }
    guard rows >= 0, rows <= Self.maxRows else {
      throw ParquetError.unsupported("row group of \(rows) rows exceeds this reader's limit of \(Self.maxRows)")
    }
    guard chunk.valueCount == rows else {
      throw ParquetError.corrupt(
        "corrupt metadata: column \(leaf.name) has \(chunk.valueCount) values for \(rows) rows")
    }
    self.file = file
    self.leaf = leaf
    self.type = type
    self.chunk = chunk
    self.rows = Int(rows)
  }

  func fail(_ what: String) -> ParquetError { ParquetError.corrupt("column \(leaf.name): \(what)") }

  /// Where the chunk's pages lie in the file.
  func pageRange() throws(ParquetError) -> Range<Int> {
    guard let range = ParquetFile.chunkRange(chunk, size: file.count) else {
      throw fail("column chunk lies outside the file")
    }
    return range
  }

  mutating func read() throws(ParquetError) -> DecodedColumn {
    if let arena = arenaCapacity {
      let untouched = self
      if let column = try readIntoArena(capacity: arena) { return column }
      self = untouched
    }
    let pages = try pageRange()
    let end = pages.upperBound
    var position = pages.lowerBound
    // One allocation per column instead of growth page by page.
    isNull.reserveCapacity(rows)
    switch type {
    case .boolean: bools.reserveCapacity(rows)
    case .int32: int32s.reserveCapacity(rows)
    case .int64: int64s.reserveCapacity(rows)
    case .float, .double: doubles.reserveCapacity(rows)
    case .int96, .byteArray, .fixedLenByteArray: break
    }
    while decoded < rows {
      let (header, body, next) = try page(at: position, end: end)
      switch header.type {
      case .dictionaryPage? where nullsOnly:
        break
      case .dataPageV2? where nullsOnly:
        // v2 pages keep their levels uncompressed: the values are not even decompressed.
        let (levels, _) = try v2Levels(header, body, at: position)
        try readDataPage(levels: levels, values: levels, count: header.valueCount, encoding: header.encodingCode)
      case .dictionaryPage?:
        let page = try decompress(body, size: header.uncompressedSize)
        try withBytes(page) { (p: UnsafeRawBufferPointer) throws(ParquetError) in
          try readDictionary(p, count: header.valueCount)
        }
      case .dataPage?:
        let page = try decompress(body, size: header.uncompressedSize)
        try withBytes(page) { (p: UnsafeRawBufferPointer) throws(ParquetError) in
          let (levels, rest) = try v1Levels(p, at: position)
          try readDataPage(levels: levels, values: rest, count: header.valueCount, encoding: header.encodingCode)
        }
      case .dataPageV2?:
        let (levels, compressedValues) = try v2Levels(header, body, at: position)
        let valuesSize = header.uncompressedSize - levels.count
        guard valuesSize >= 0 else { throw fail("page at byte \(position) has impossible sizes") }
        if header.isCompressed && valuesSize > 0 {
          let page = try decompress(compressedValues, size: valuesSize)
          try withBytes(page) { (p: UnsafeRawBufferPointer) throws(ParquetError) in
            try readDataPage(levels: levels, values: p, count: header.valueCount, encoding: header.encodingCode)
          }
        } else {
          try readDataPage(
            levels: levels, values: compressedValues, count: header.valueCount, encoding: header.encodingCode)
        }
      case .indexPage?, nil:
        break
      }
      position = next
    }
    return finish()
  }

  /// The page at `position` (its header checked for sizes the chunk can hold), its body, and
  /// where the next page starts.
  func page(at position: Int, end: Int) throws(ParquetError) -> (
    header: PageHeader, body: UnsafeRawBufferPointer, next: Int
  ) {
    guard position < end else { throw fail("column chunk ends after \(decoded) of \(rows) values") }
    var r = ThriftCompactReader(UnsafeRawBufferPointer(rebasing: file[position..<end]))
    let header = try PageHeader.decode(&r)
    let bodyStart = position + r.position
    guard header.compressedSize >= 0, header.compressedSize <= end - bodyStart,
      header.uncompressedSize >= 0, header.uncompressedSize <= Self.maxPageBytes
    else { throw fail("page at byte \(position) has impossible sizes") }
    let next = bodyStart + header.compressedSize
    let body = UnsafeRawBufferPointer(rebasing: file[bodyStart..<next])
    // A flipped bit in a page is an error, not a different answer.
    if let crc = header.crc, PageChecksum.crc32(body) != crc {
      throw fail("page at byte \(position) fails its checksum (CRC-32): the file is damaged")
    }
    return (header, body, next)
  }

  /// A v1 data page split into its definition levels (length-prefixed, optional columns only)
  /// and its values.
  func v1Levels(_ p: UnsafeRawBufferPointer, at position: Int) throws(ParquetError) -> (
    levels: UnsafeRawBufferPointer, values: UnsafeRawBufferPointer
  ) {
    guard leaf.optional else { return (UnsafeRawBufferPointer(start: nil, count: 0), p) }
    guard p.count >= 4 else { throw fail("page at byte \(position) is cut short") }
    let n = Int(p.loadUnaligned(as: UInt32.self).littleEndian)
    guard n <= p.count - 4 else { throw fail("page at byte \(position): definition levels overrun") }
    return (UnsafeRawBufferPointer(rebasing: p[4..<4 + n]), UnsafeRawBufferPointer(rebasing: p[(4 + n)...]))
  }

  /// A v2 data page's body split into its (uncompressed) definition levels and its values.
  func v2Levels(_ header: PageHeader, _ body: UnsafeRawBufferPointer, at position: Int)
    throws(ParquetError) -> (levels: UnsafeRawBufferPointer, values: UnsafeRawBufferPointer)
  {
    guard header.repetitionLevelBytes == 0 else { throw fail("repetition levels in a flat column") }
    let n = header.definitionLevelBytes
    guard n >= 0, n <= body.count else { throw fail("page at byte \(position): level sizes overrun") }
    return (UnsafeRawBufferPointer(rebasing: body[0..<n]), UnsafeRawBufferPointer(rebasing: body[n...]))
  }

  func finish() -> DecodedColumn {
    let nulls = isNull
    if nullsOnly { return .values(.boolean(values: Array(repeating: false, count: nulls.count), isNull: nulls)) }
    switch type {
    case .boolean: return .values(.boolean(values: bools, isNull: nulls))
    case .int32: return .values(.int32(values: int32s, isNull: nulls))
    case .int64: return .values(.int64(values: int64s, isNull: nulls))
    case .float, .double: return .values(.double(values: doubles, isNull: nulls))
    case .int96, .byteArray, .fixedLenByteArray:
      if bytes.count == 0, case .bytes(let d)? = dictionary, !codes.isEmpty {
        return .dictionary(d, codes: codes, isNull: nulls)
      }
      var b = bytes
      b.isNull = nulls
      return .values(.byteArray(b))
    }
  }

  mutating func readDictionary(_ page: UnsafeRawBufferPointer, count: Int) throws(ParquetError) {
    guard count >= 0, count <= page.count * 8 + 8 else { throw fail("dictionary page with \(count) values") }
    var cursor = PlainCursor(bytes: page)
    switch type {
    case .boolean: dictionary = .bools(try cursor.bools(count))
    case .int32: dictionary = .int32s(try cursor.fixed(count, width: 4).map { Int32(truncatingIfNeeded: $0) })
    case .int64: dictionary = .int64s(try cursor.fixed(count, width: 8).map { Int64(bitPattern: $0) })
    case .float: dictionary = .doubles(try cursor.fixed(count, width: 4).map { Double(Float(bitPattern: UInt32($0))) })
    case .double: dictionary = .doubles(try cursor.fixed(count, width: 8).map { Double(bitPattern: $0) })
    case .int96, .byteArray, .fixedLenByteArray:
      var d = ByteArrayValues()
      for _ in 0..<count {
        d.append(try cursor.byteArray(fixedLength: type == .fixedLenByteArray ? Int(leaf.typeLength) : nil))
      }
      dictionary = .bytes(d)
    }
  }

  mutating func readDataPage(
    levels: UnsafeRawBufferPointer, values: UnsafeRawBufferPointer, count: Int, encoding: Int32
  ) throws(ParquetError) {
    guard count >= 0, count <= rows - decoded else { throw fail("data page holds more values than the row group") }
    var present = count
    let firstRow = isNull.count
    if leaf.optional {
      present -= try RLEHybridDecoder.appendNulls(levels, count: count, into: &isNull)
    } else {
      isNull.append(contentsOf: repeatElement(false, count: count))
    }
    if nullsOnly {
      decoded += count
      return
    }
    var dense: [UInt32] = []
    switch Encoding(rawValue: encoding) {
    case .plain?:
      try readPlain(values, present: present, firstRow: firstRow)
    case .plainDictionary?, .rleDictionary?:
      guard let dictionary else { throw fail("dictionary-encoded page without a dictionary page") }
      guard values.count >= 1 else { throw fail("dictionary page data is empty") }
      try RLEHybridDecoder.decode(
        UnsafeRawBufferPointer(rebasing: values[1...]), bitWidth: Int(values[0]), count: present, into: &dense)
      let largest = dense.withUnsafeBufferPointer { d in d.reduce(0) { max($0, $1) } }
      if !dense.isEmpty && Int(largest) >= dictionary.count {
        throw fail("dictionary index \(largest) out of range")
      }
      try appendCodes(dense, dictionary: dictionary, firstRow: firstRow)
    case .rle? where type == .boolean:
      guard values.count >= 4 else { throw fail("boolean RLE page is cut short") }
      try RLEHybridDecoder.decode(
        UnsafeRawBufferPointer(rebasing: values[4...]), bitWidth: 1, count: present, into: &dense)
      spread(dense.map { $0 != 0 }, into: &bools, filler: false, firstRow: firstRow)
    case .deltaLengthByteArray? where type == .byteArray:
      try readByteArrays(values, present: present, firstRow: firstRow, deltaLengths: true)
    case .deltaBinaryPacked? where type == .int32 || type == .int64:
      let v = try DeltaBinaryPackedDecoder.decode(values, count: present)
      if type == .int32 {
        spread(v.map { Int32(truncatingIfNeeded: $0) }, into: &int32s, filler: 0, firstRow: firstRow)
      } else {
        spread(v, into: &int64s, filler: 0, firstRow: firstRow)
      }
    default:
      throw fail(
        "encoding \(encoding) is not supported (PLAIN, dictionary, RLE booleans, DELTA_BINARY_PACKED, "
          + "DELTA_LENGTH_BYTE_ARRAY are)")
    }
    decoded += count
  }
}
