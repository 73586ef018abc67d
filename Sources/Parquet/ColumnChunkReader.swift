import CZlib
import CZstd

/// One column of one row group, decoded.
public enum DecodedColumn: Sendable {
  /// Values in row order, one slot per row (see `ColumnValues`).
  case values(ColumnValues)
  /// A byte-array chunk whose data pages all used the dictionary: filters can test each
  /// dictionary entry once and then compare codes. Null rows carry code 0.
  case dictionary(ByteArrayValues, codes: [UInt32], isNull: [Bool])

  public var count: Int {
    switch self {
    case .values(let v): return v.count
    case .dictionary(_, let codes, _): return codes.count
    }
  }

  /// The values in row order, expanding dictionary codes.
  public func materialized() -> ColumnValues {
    switch self {
    case .values(let v): return v
    case .dictionary(let dictionary, let codes, let isNull):
      var out = ByteArrayValues()
      dictionary.bytes.withUnsafeBytes { raw in
        for (i, code) in codes.enumerated() {
          if isNull[i] {
            out.appendNull()
          } else {
            out.append(UnsafeRawBufferPointer(rebasing: raw[dictionary.range(Int(code))]))
          }
        }
      }
      return .byteArray(out)
    }
  }
}

/// Decodes the pages of one column chunk: v1 and v2 data pages, dictionary pages, PLAIN,
/// PLAIN_DICTIONARY/RLE_DICTIONARY, RLE booleans, DELTA_BINARY_PACKED integers and
/// DELTA_LENGTH_BYTE_ARRAY text; uncompressed,
/// snappy, gzip and zstd pages. Flat columns only (definition level 0 or 1, no repetition).
struct ColumnChunkReader {
  /// Largest decompressed page accepted; pages are about 1 MiB in practice.
  static let maxPageBytes = 256 << 20
  /// Largest row count accepted for one row group, so that a lying footer cannot make the
  /// reader allocate without bound.
  static let maxRows: Int64 = 64 << 20

  let file: UnsafeRawBufferPointer
  let leaf: LeafColumn
  let chunk: ColumnChunkMetadata
  let rows: Int

  private var isNull: [Bool] = []
  private var bools: [Bool] = []
  private var int32s: [Int32] = []
  private var int64s: [Int64] = []
  private var doubles: [Double] = []
  private var bytes = ByteArrayValues()
  private var codes: [UInt32] = []
  private var dictionary: Dictionary?
  private var decoded = 0
  /// Set while `readIntoArena` hands a page over: where its values already sit in the arena.
  private var arenaOffset: Int?
  /// Decode definition levels only (see `ParquetFile.readNulls`).
  var nullsOnly = false

  private enum Dictionary {
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
    guard !leaf.nested else { throw ParquetError("column \(leaf.name) is nested; only flat columns are read") }
    if case .unsupported(let what) = leaf.kind {
      throw ParquetError("column \(leaf.name) has an unsupported type (\(what))")
    }
    guard chunk.physicalType == leaf.physicalType else {
      throw ParquetError("corrupt metadata: column \(leaf.name) chunk type differs from its schema type")
    }
    guard rows >= 0, rows <= Self.maxRows else {
      throw ParquetError("row group of \(rows) rows exceeds this reader's limit of \(Self.maxRows)")
    }
    guard chunk.valueCount == rows else {
      throw ParquetError("corrupt metadata: column \(leaf.name) has \(chunk.valueCount) values for \(rows) rows")
    }
    self.file = file
    self.leaf = leaf
    self.chunk = chunk
    self.rows = Int(rows)
  }

  private func fail(_ what: String) -> ParquetError { ParquetError("column \(leaf.name): \(what)") }

  /// Where the chunk's pages lie in the file.
  private func pageRange() throws(ParquetError) -> Range<Int> {
    var start = chunk.dataPageOffset
    if let d = chunk.dictionaryPageOffset, d >= 4, d < start { start = d }
    guard start >= 4, chunk.compressedBytes >= 0, start <= Int64(file.count),
      chunk.compressedBytes <= Int64(file.count) - start
    else { throw fail("column chunk lies outside the file") }
    return Int(start)..<Int(start + chunk.compressedBytes)
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
    switch leaf.physicalType {
    case 0: bools.reserveCapacity(rows)
    case 1: int32s.reserveCapacity(rows)
    case 2: int64s.reserveCapacity(rows)
    case 4, 5: doubles.reserveCapacity(rows)
    default: break
    }
    while decoded < rows {
      let (header, body, next) = try page(at: position, end: end)
      switch header.type {
      case 2 where nullsOnly:
        break
      case 3 where nullsOnly:
        // v2 pages keep their levels uncompressed: the values are not even decompressed.
        let (levels, _) = try v2Levels(header, body, at: position)
        try readDataPage(levels: levels, values: levels, count: header.valueCount, encoding: header.encoding)
      case 2:
        let page = try decompress(body, size: header.uncompressedSize)
        try withBytes(page) { (p: UnsafeRawBufferPointer) throws(ParquetError) in
          try readDictionary(p, count: header.valueCount)
        }
      case 0:
        let page = try decompress(body, size: header.uncompressedSize)
        try withBytes(page) { (p: UnsafeRawBufferPointer) throws(ParquetError) in
          let (levels, rest) = try v1Levels(p, at: position)
          try readDataPage(levels: levels, values: rest, count: header.valueCount, encoding: header.encoding)
        }
      case 3:
        let (levels, compressedValues) = try v2Levels(header, body, at: position)
        let valuesSize = header.uncompressedSize - levels.count
        guard valuesSize >= 0 else { throw fail("page at byte \(position) has impossible sizes") }
        if header.isCompressed && valuesSize > 0 {
          let page = try decompress(compressedValues, size: valuesSize)
          try withBytes(page) { (p: UnsafeRawBufferPointer) throws(ParquetError) in
            try readDataPage(levels: levels, values: p, count: header.valueCount, encoding: header.encoding)
          }
        } else {
          try readDataPage(
            levels: levels, values: compressedValues, count: header.valueCount, encoding: header.encoding)
        }
      default:
        break
      }
      position = next
    }
    return finish()
  }

  /// The page at `position` (its header checked for sizes the chunk can hold), its body, and
  /// where the next page starts.
  private func page(at position: Int, end: Int) throws(ParquetError) -> (
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
  private func v1Levels(_ p: UnsafeRawBufferPointer, at position: Int) throws(ParquetError) -> (
    levels: UnsafeRawBufferPointer, values: UnsafeRawBufferPointer
  ) {
    guard leaf.optional else { return (UnsafeRawBufferPointer(start: nil, count: 0), p) }
    guard p.count >= 4 else { throw fail("page at byte \(position) is cut short") }
    let n = Int(p.loadUnaligned(as: UInt32.self).littleEndian)
    guard n <= p.count - 4 else { throw fail("page at byte \(position): definition levels overrun") }
    return (UnsafeRawBufferPointer(rebasing: p[4..<4 + n]), UnsafeRawBufferPointer(rebasing: p[(4 + n)...]))
  }

  /// A v2 data page's body split into its (uncompressed) definition levels and its values.
  private func v2Levels(_ header: PageHeader, _ body: UnsafeRawBufferPointer, at position: Int)
    throws(ParquetError) -> (levels: UnsafeRawBufferPointer, values: UnsafeRawBufferPointer)
  {
    guard header.repetitionLevelBytes == 0 else { throw fail("repetition levels in a flat column") }
    let n = header.definitionLevelBytes
    guard n >= 0, n <= body.count else { throw fail("page at byte \(position): level sizes overrun") }
    return (UnsafeRawBufferPointer(rebasing: body[0..<n]), UnsafeRawBufferPointer(rebasing: body[n...]))
  }

  /// Inflates a zstd page into exactly `target`; a short or corrupt frame is an error.
  private func unzstd(_ body: UnsafeRawBufferPointer, into target: UnsafeMutableRawBufferPointer)
    throws(ParquetError)
  {
    let n = ZSTD_decompress(target.baseAddress, target.count, body.baseAddress, body.count)
    guard ZSTD_isError(n) == 0 else { throw fail("corrupt zstd page (\(String(cString: ZSTD_getErrorName(n))))") }
    guard n == target.count else { throw fail("zstd page holds \(n) bytes, header says \(target.count)") }
  }

  // MARK: zstd byte arrays straight into the arena

  /// A PLAIN or DELTA_LENGTH byte-array chunk of zstd pages (what writers produce for high-cardinality text:
  /// ids, keys, addresses) can be decompressed straight into the array that holds its values,
  /// instead of into a page buffer that is then copied there; the footer's uncompressed size
  /// (pages and headers) bounds it. nil when the chunk is not of that kind, or its footer
  /// claims more than its pages could plausibly hold (the page-by-page path then decides).
  private var arenaCapacity: Int? {
    guard leaf.physicalType == 6 || leaf.physicalType == 7, !nullsOnly, chunk.codec == 6,
      chunk.dictionaryPageOffset == nil, !chunk.encodings.contains(where: { $0 == 2 || $0 == 8 }),
      chunk.uncompressedBytes > 0, chunk.uncompressedBytes <= Int64(UInt32.max),
      chunk.uncompressedBytes <= chunk.compressedBytes * 1024 + Int64(Self.maxPageBytes)
    else { return nil }
    return Int(chunk.uncompressedBytes)
  }

  /// The chunk read with every page decompressed into one arena; nil (with `self` in an
  /// unspecified state) if a page turns out not to fit the plan: not PLAIN, or larger than the
  /// footer said.
  private mutating func readIntoArena(capacity: Int) throws(ParquetError) -> DecodedColumn? {
    let pages = try pageRange()
    isNull.reserveCapacity(rows)
    var declined = false
    var failure: ParquetError?
    let arena = [UInt8](unsafeUninitializedCapacity: capacity) { buffer, initialized in
      let raw = UnsafeMutableRawBufferPointer(buffer)
      var used = 0
      var position = pages.lowerBound
      defer { initialized = used }
      do throws(ParquetError) {
        while decoded < rows {
          let at = position
          let (header, body, next) = try page(at: position, end: pages.upperBound)
          position = next
          guard header.type == 0 || header.type == 3 else { continue }
          guard header.encoding == 0 || (header.encoding == 6 && leaf.physicalType == 6) else {
            declined = true
            return
          }
          // v1 pages compress their levels with the values; v2 pages keep the levels apart.
          var levels = UnsafeRawBufferPointer(start: nil, count: 0)
          var compressed = body
          var size = header.uncompressedSize
          var v2Compressed = true
          if header.type == 3 {
            (levels, compressed) = try v2Levels(header, body, at: at)
            guard levels.count <= size else { throw fail("page at byte \(at): level sizes overrun") }
            size -= levels.count
            v2Compressed = header.isCompressed
          }
          guard size <= raw.count - used else {
            declined = true
            return
          }
          let target = UnsafeMutableRawBufferPointer(rebasing: raw[used..<used + size])
          if v2Compressed && size > 0 {
            try unzstd(compressed, into: target)
          } else if size > 0 {
            guard compressed.count == size else { throw fail("uncompressed page size mismatch") }
            target.copyMemory(from: compressed)
          }
          var values = UnsafeRawBufferPointer(target)
          if header.type == 0 { (levels, values) = try v1Levels(values, at: at) }
          arenaOffset = used + (size - values.count)
          try readDataPage(levels: levels, values: values, count: header.valueCount, encoding: header.encoding)
          used += size
        }
      } catch {
        failure = error
      }
    }
    arenaOffset = nil
    if declined { return nil }
    if let failure { throw failure }
    bytes.bytes = arena
    return finish()
  }

  private func finish() -> DecodedColumn {
    let nulls = isNull
    if nullsOnly { return .values(.boolean(values: Array(repeating: false, count: nulls.count), isNull: nulls)) }
    switch leaf.physicalType {
    case 0: return .values(.boolean(values: bools, isNull: nulls))
    case 1: return .values(.int32(values: int32s, isNull: nulls))
    case 2: return .values(.int64(values: int64s, isNull: nulls))
    case 4, 5: return .values(.double(values: doubles, isNull: nulls))
    default:
      if bytes.count == 0, case .bytes(let d)? = dictionary, !codes.isEmpty {
        return .dictionary(d, codes: codes, isNull: nulls)
      }
      var b = bytes
      b.isNull = nulls
      return .values(.byteArray(b))
    }
  }

  // MARK: pages

  private func decompress(_ body: UnsafeRawBufferPointer, size: Int) throws(ParquetError) -> [UInt8] {
    switch chunk.codec {
    case 0:
      guard body.count == size else { throw fail("uncompressed page size mismatch") }
      return Array(body)
    case 1:
      return try SnappyDecompressor.decompress(body, expectedSize: size)
    case 6:
      // No zero-filling: zstd writes every byte it reports, and a short result is an error.
      var failure: ParquetError?
      let out = [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
        do throws(ParquetError) {
          try unzstd(body, into: UnsafeMutableRawBufferPointer(buffer))
          initialized = size
        } catch {
          failure = error
          initialized = 0
        }
      }
      if let failure { throw failure }
      return out
    case 2:
      return try inflate(body, size: size)
    default:
      throw fail("compression codec \(chunk.codec) is not supported (uncompressed, snappy, gzip, zstd are)")
    }
  }

  private func inflate(_ body: UnsafeRawBufferPointer, size: Int) throws(ParquetError) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: size)
    var stream = z_stream()
    guard inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
      throw fail("zlib initialisation failed")
    }
    defer { inflateEnd(&stream) }
    let rc = out.withUnsafeMutableBytes { dst in
      stream.next_in = UnsafeMutablePointer(mutating: body.baseAddress?.assumingMemoryBound(to: Bytef.self))
      stream.avail_in = uInt(body.count)
      stream.next_out = dst.baseAddress?.assumingMemoryBound(to: Bytef.self)
      stream.avail_out = uInt(size)
      return CZlib.inflate(&stream, Z_FINISH)
    }
    guard rc == Z_STREAM_END, Int(stream.total_out) == size else { throw fail("corrupt gzip page") }
    return out
  }

  private mutating func readDictionary(_ page: UnsafeRawBufferPointer, count: Int) throws(ParquetError) {
    guard count >= 0, count <= page.count * 8 + 8 else { throw fail("dictionary page with \(count) values") }
    var cursor = PlainCursor(bytes: page)
    switch leaf.physicalType {
    case 0: dictionary = .bools(try cursor.bools(count))
    case 1: dictionary = .int32s(try cursor.fixed(count, width: 4).map { Int32(truncatingIfNeeded: $0) })
    case 2: dictionary = .int64s(try cursor.fixed(count, width: 8).map { Int64(bitPattern: $0) })
    case 4: dictionary = .doubles(try cursor.fixed(count, width: 4).map { Double(Float(bitPattern: UInt32($0))) })
    case 5: dictionary = .doubles(try cursor.fixed(count, width: 8).map { Double(bitPattern: $0) })
    default:
      var d = ByteArrayValues()
      for _ in 0..<count {
        d.append(try cursor.byteArray(fixedLength: leaf.physicalType == 7 ? Int(leaf.typeLength) : nil))
      }
      dictionary = .bytes(d)
    }
  }

  private mutating func readDataPage(
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
    switch encoding {
    case 0:
      try readPlain(values, present: present, firstRow: firstRow)
    case 2, 8:
      guard let dictionary else { throw fail("dictionary-encoded page without a dictionary page") }
      guard values.count >= 1 else { throw fail("dictionary page data is empty") }
      try RLEHybridDecoder.decode(
        UnsafeRawBufferPointer(rebasing: values[1...]), bitWidth: Int(values[0]), count: present, into: &dense)
      let largest = dense.withUnsafeBufferPointer { d in d.reduce(0) { max($0, $1) } }
      if !dense.isEmpty && Int(largest) >= dictionary.count {
        throw fail("dictionary index \(largest) out of range")
      }
      try appendCodes(dense, dictionary: dictionary, firstRow: firstRow)
    case 3 where leaf.physicalType == 0:
      guard values.count >= 4 else { throw fail("boolean RLE page is cut short") }
      try RLEHybridDecoder.decode(
        UnsafeRawBufferPointer(rebasing: values[4...]), bitWidth: 1, count: present, into: &dense)
      spread(dense.map { $0 != 0 }, into: &bools, filler: false, firstRow: firstRow)
    case 6 where leaf.physicalType == 6:
      try readByteArrays(values, present: present, firstRow: firstRow, deltaLengths: true)
    case 5 where leaf.physicalType == 1 || leaf.physicalType == 2:
      let v = try DeltaBinaryPackedDecoder.decode(values, count: present)
      if leaf.physicalType == 1 {
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

  /// Appends values for the rows from `firstRow` on: present values in order, `filler` at nulls.
  private func spread<T>(_ present: [T], into out: inout [T], filler: T, firstRow: Int) {
    let n = isNull.count - firstRow
    if present.count == n {
      out.append(contentsOf: present)
      return
    }
    let start = out.count
    out.append(contentsOf: repeatElement(filler, count: n))
    guard !present.isEmpty else { return }
    // Without a branch per row (nulls fall anywhere): a null row takes the filler, a present
    // one the next value; a page with fewer values than present rows repeats its last one.
    out.withUnsafeMutableBufferPointer { o in
      isNull.withUnsafeBufferPointer { nulls in
        present.withUnsafeBufferPointer { p in
          let last = p.count - 1
          var k = 0
          for row in 0..<n {
            let null = nulls[firstRow + row]
            let v = p[min(k, last)]
            o[start + row] = null ? filler : v
            k &+= null ? 0 : 1
          }
        }
      }
    }
  }

  /// `spread(codes.map { dictionary[$0] }, ...)` without the intermediate array; the codes were
  /// checked against the dictionary's size.
  private func spread<T>(_ codes: [UInt32], through dictionary: [T], into out: inout [T], filler: T, firstRow: Int) {
    let n = isNull.count - firstRow
    let start = out.count
    out.append(contentsOf: repeatElement(filler, count: n))
    guard !codes.isEmpty, !dictionary.isEmpty else { return }
    out.withUnsafeMutableBufferPointer { o in
      isNull.withUnsafeBufferPointer { nulls in
        codes.withUnsafeBufferPointer { c in
          dictionary.withUnsafeBufferPointer { d in
            let (last, top) = (c.count - 1, UInt32(d.count - 1))
            var k = 0
            for row in 0..<n {
              let null = nulls[firstRow + row]
              let v = d[Int(min(c[min(k, last)], top))]
              o[start + row] = null ? filler : v
              k &+= null ? 0 : 1
            }
          }
        }
      }
    }
  }

  /// `spread(dense, into: &codes, filler: 0, ...)` for the hottest case, dictionary codes of
  /// a column with nulls anywhere: the null flag masks the code arithmetically, since a branch
  /// per row mispredicts on scattered nulls.
  private mutating func spreadCodes(_ dense: [UInt32], firstRow: Int) {
    let n = isNull.count - firstRow
    if dense.count == n || dense.isEmpty {
      codes.append(contentsOf: dense.isEmpty ? Array(repeating: 0, count: n) : dense)
      return
    }
    let start = codes.count
    codes.append(contentsOf: repeatElement(0, count: n))
    codes.withUnsafeMutableBufferPointer { o in
      isNull.withUnsafeBytes { nulls in
        dense.withUnsafeBufferPointer { c in
          let last = c.count - 1
          var k = 0
          for row in 0..<n {
            let present = UInt32(1 &- nulls[firstRow &+ row])
            o[start &+ row] = c[min(k, last)] & (0 &- present)
            k &+= Int(present)
          }
        }
      }
    }
  }

  private mutating func appendCodes(_ dense: [UInt32], dictionary: Dictionary, firstRow: Int) throws(ParquetError) {
    switch dictionary {
    case .bools(let d): spread(dense, through: d, into: &bools, filler: false, firstRow: firstRow)
    case .int32s(let d): spread(dense, through: d, into: &int32s, filler: 0, firstRow: firstRow)
    case .int64s(let d): spread(dense, through: d, into: &int64s, filler: 0, firstRow: firstRow)
    case .doubles(let d): spread(dense, through: d, into: &doubles, filler: 0, firstRow: firstRow)
    case .bytes(let d):
      if bytes.count > 0 {
        // PLAIN pages came first: keep materializing.
        var k = 0
        d.bytes.withUnsafeBytes { raw in
          for row in firstRow..<isNull.count {
            if isNull[row] {
              bytes.appendNull()
            } else {
              bytes.append(UnsafeRawBufferPointer(rebasing: raw[d.range(Int(dense[k]))]))
              k += 1
            }
          }
        }
      } else {
        if codes.capacity < rows { codes.reserveCapacity(rows) }
        spreadCodes(dense, firstRow: firstRow)
      }
    }
  }

  private mutating func readPlain(_ page: UnsafeRawBufferPointer, present: Int, firstRow: Int) throws(ParquetError) {
    var cursor = PlainCursor(bytes: page)
    switch leaf.physicalType {
    case 0: spread(try cursor.bools(present), into: &bools, filler: false, firstRow: firstRow)
    case 1:
      spread(
        try cursor.fixed(present, width: 4).map { Int32(truncatingIfNeeded: $0) }, into: &int32s, filler: 0,
        firstRow: firstRow)
    case 2:
      spread(
        try cursor.fixed(present, width: 8).map { Int64(bitPattern: $0) }, into: &int64s, filler: 0,
        firstRow: firstRow)
    case 4:
      spread(
        try cursor.fixed(present, width: 4).map { Double(Float(bitPattern: UInt32($0))) }, into: &doubles,
        filler: 0, firstRow: firstRow)
    case 5:
      spread(
        try cursor.fixed(present, width: 8).map { Double(bitPattern: $0) }, into: &doubles, filler: 0,
        firstRow: firstRow)
    default:
      try readByteArrays(page, present: present, firstRow: firstRow, deltaLengths: false)
    }
  }

  /// PLAIN byte arrays, or DELTA_LENGTH_BYTE_ARRAY ones (`deltaLengths`: the lengths packed
  /// first, then the values back to back): the page joins the arena whole (one copy) and each
  /// value is known by where it starts and ends in it, length prefixes left in place, instead of
  /// a copy call per value; every length is checked before it is used. `bytes.isNull` is not
  /// kept up: `finish()` sets it from the chunk's nulls.
  private mutating func readByteArrays(
    _ page: UnsafeRawBufferPointer, present: Int, firstRow: Int, deltaLengths: Bool
  ) throws(ParquetError) {
    if !codes.isEmpty, case .bytes(let d)? = dictionary {
      // A writer fell back from the dictionary mid-chunk: expand what came before.
      let expanded = DecodedColumn.dictionary(d, codes: codes, isNull: Array(isNull[0..<codes.count]))
      if case .byteArray(let b) = expanded.materialized() { bytes = b }
      codes = []
    }
    let fixed = leaf.physicalType == 7 ? Int(leaf.typeLength) : nil
    var lengths: [Int64] = []
    var dataStart = 0
    if deltaLengths {
      do {
        (lengths, dataStart) = try DeltaBinaryPackedDecoder.decode(page, count: present, exact: true)
      } catch {
        throw fail("value lengths: \(error.description)")
      }
    }
    bytes.unpack()
    let base = arenaOffset ?? bytes.bytes.count
    guard base + page.count <= Int(UInt32.max) else { throw fail("column chunk holds more than 4 GiB of values") }
    if arenaOffset == nil {
      // Grow geometrically: reserving exactly page after page would copy the arena every page.
      if bytes.bytes.capacity < base + page.count {
        bytes.bytes.reserveCapacity(max(base + page.count, bytes.bytes.capacity * 2))
      }
      bytes.bytes.append(contentsOf: page)
    }
    // One pass over the values, checking each length as its start and end are written; a
    // page that fails leaves junk in the arena, but the whole column fails with it.
    let rowCount = isNull.count - firstRow
    if bytes.starts.capacity < rows { bytes.starts.reserveCapacity(rows) }
    if bytes.ends.capacity < rows { bytes.ends.reserveCapacity(rows) }
    let first = bytes.ends.count
    bytes.starts.append(contentsOf: repeatElement(0, count: rowCount))
    bytes.ends.append(contentsOf: repeatElement(0, count: rowCount))
    var failure: String?
    bytes.starts.withUnsafeMutableBufferPointer { starts in
      bytes.ends.withUnsafeMutableBufferPointer { ends in
        isNull.withUnsafeBufferPointer { nulls in
          var q = dataStart
          var taken = 0
          for row in 0..<rowCount {
            if !nulls[firstRow + row] {
              guard taken < present else {
                failure = "page holds fewer values than its levels say"
                return
              }
              var n = fixed ?? 0
              if deltaLengths {
                n = Int(lengths[taken])
              } else if fixed == nil {
                guard page.count - q >= 4 else {
                  failure = "value length cut short"
                  return
                }
                n = Int(page.loadUnaligned(fromByteOffset: q, as: UInt32.self).littleEndian)
                q += 4
              }
              guard n >= 0, n <= page.count - q else {
                failure = "value overruns the page"
                return
              }
              starts[first + row] = UInt32(truncatingIfNeeded: base + q)
              q += n
              taken += 1
            } else {
              starts[first + row] = UInt32(truncatingIfNeeded: base + q)
            }
            ends[first + row] = UInt32(truncatingIfNeeded: base + q)
          }
        }
      }
    }
    if let failure { throw fail(failure) }
  }
}

/// Reads PLAIN-encoded values with bounds checks.
struct PlainCursor {
  let bytes: UnsafeRawBufferPointer
  var position = 0

  mutating func fixed(_ count: Int, width: Int) throws(ParquetError) -> [UInt64] {
    guard count >= 0, count <= (bytes.count - position) / width else {
      throw ParquetError("corrupt page: \(count) values of \(width) bytes overrun the page")
    }
    var out = [UInt64](repeating: 0, count: count)
    let base = position
    if width == 8 {
      for i in 0..<count { out[i] = bytes.loadUnaligned(fromByteOffset: base + 8 * i, as: UInt64.self).littleEndian }
    } else if width == 4 {
      for i in 0..<count {
        out[i] = UInt64(bytes.loadUnaligned(fromByteOffset: base + 4 * i, as: UInt32.self).littleEndian)
      }
    } else {
      for i in 0..<count {
        var v: UInt64 = 0
        for k in 0..<width { v |= UInt64(bytes[base + width * i + k]) << (8 * UInt64(k)) }
        out[i] = v
      }
    }
    position += count * width
    return out
  }

  mutating func bools(_ count: Int) throws(ParquetError) -> [Bool] {
    guard count >= 0, (count + 7) / 8 <= bytes.count - position else {
      throw ParquetError("corrupt page: booleans overrun the page")
    }
    var out = [Bool](repeating: false, count: count)
    for i in 0..<count { out[i] = bytes[position + i >> 3] >> UInt8(i & 7) & 1 == 1 }
    position += (count + 7) / 8
    return out
  }

  mutating func byteArray(fixedLength: Int?) throws(ParquetError) -> UnsafeRawBufferPointer {
    var n: Int
    if let fixedLength {
      n = fixedLength
    } else {
      guard bytes.count - position >= 4 else { throw ParquetError("corrupt page: value length cut short") }
      n =
        Int(bytes[position]) | Int(bytes[position + 1]) << 8 | Int(bytes[position + 2]) << 16
        | Int(bytes[position + 3]) << 24
      position += 4
    }
    guard n >= 0, n <= bytes.count - position else { throw ParquetError("corrupt page: value overruns the page") }
    defer { position += n }
    return UnsafeRawBufferPointer(rebasing: bytes[position..<position + n])
  }
}

/// The fields of `PageHeader` a reader needs.
struct PageHeader {
  var type: Int32 = -1
  var uncompressedSize = -1
  var compressedSize = -1
  var valueCount = 0
  var encoding: Int32 = 0
  var definitionLevelBytes = 0
  var repetitionLevelBytes = 0
  var isCompressed = true
  /// The page's CRC-32, when its writer stored one.
  var crc: Int32?

  static func decode(_ r: inout ThriftCompactReader) throws(ParquetError) -> PageHeader {
    var h = PageHeader()
    try r.readStruct { r, id, t throws(ParquetError) in
      switch id {
      case 1: h.type = try r.i32(t, id)
      case 2: h.uncompressedSize = Int(try r.i32(t, id))
      case 3: h.compressedSize = Int(try r.i32(t, id))
      case 4: h.crc = try r.i32(t, id)
      case 5, 7, 8:
        try r.expect(t, .structure, field: id)
        try r.readStruct { r, f, t throws(ParquetError) in
          switch (id, f) {
          case (_, 1): h.valueCount = Int(try r.i32(t, f))
          case (5, 2), (8, 4): h.encoding = try r.i32(t, f)
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
    guard h.type >= 0, h.compressedSize >= 0, h.uncompressedSize >= 0 else {
      throw ParquetError("corrupt page header: missing type or sizes")
    }
    guard h.valueCount >= 0 else { throw ParquetError("corrupt page header: negative value count") }
    return h
  }
}

/// `Array.withUnsafeBytes` for closures with typed throws.
func withBytes<R>(_ array: [UInt8], _ body: (UnsafeRawBufferPointer) throws(ParquetError) -> R) throws(ParquetError)
  -> R
{
  let result: Result<R, ParquetError> = array.withUnsafeBytes { raw in
    do throws(ParquetError) { return .success(try body(raw)) } catch { return .failure(error) }
  }
  return try result.get()
}
