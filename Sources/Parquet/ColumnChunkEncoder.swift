#if canImport(Glibc)
  import Glibc
#endif

/// One column chunk, encoded and compressed, with what the footer needs to describe it.
/// Offsets are relative to the start of `bytes`; the file writer rebases them.
struct EncodedColumnChunk {
  var bytes: [UInt8] = []
  /// `bytes.count`, kept for the footer once the bytes are written and their buffer reused.
  var compressedSize = 0
  var dictionaryPageOffset: Int?
  var dataPageOffset = 0
  var totalUncompressedSize = 0
  var numValues = 0
  var usedDictionary = false
  /// The encoding of the data pages' values (RLE_DICTIONARY when `usedDictionary`).
  var valueEncoding = Encoding.plain
  var dataPageCount = 0
  var statistics = ColumnStatistics()
  /// For columns that ask for one: every non-null value of the chunk.
  var bloomFilter: SplitBlockBloomFilter?
}

public struct WriterOptions: Sendable {
  /// zstd level for every page. Every level decodes at the same speed; sigtrail's shards
  /// choose 1 (see ShardOptions).
  public var zstdLevel: Int32 = 3
  /// Data pages are cut at this many rows...
  public var pageRowLimit = 20_000
  /// ...or at about this many uncompressed bytes, whichever comes first.
  public var pageByteLimit = 1 << 20
  /// A chunk is dictionary-encoded only while its dictionary stays this small...
  public var dictionaryByteLimit = 1 << 20
  /// ...and holds at most this share of the chunk's non-null values.
  public var dictionaryMaxRatio = 0.5
  /// Columns that ask for the DELTA encodings get them (see `ColumnDescriptor.deltaEncoded`);
  /// off, every chunk is PLAIN or dictionary, for readers that know nothing else.
  public var deltaEncodings = true
  /// False-positive rate of the bloom filters of columns that ask for one.
  public var bloomFilterFPP = 0.01
  /// Written as `FileMetaData.created_by`; must parse as "<app> version <x.y.z> (build <sha>)".
  public var createdBy = "sigtrail version 0.0.0 (build unknown)"

  public init() {}
}

/// Empty buffers with capacity, handed from one column chunk's encoder to the next.
struct EncoderBuffers {
  var page: [UInt8] = []
  var chunk: [UInt8] = []
  /// Scratch the values of a page are written into through a pointer (see `appendValues`); its
  /// count is its capacity.
  var values: [UInt8] = []
}

/// Encodes one column chunk: decides dictionary or PLAIN for the whole chunk, cuts v1 data pages,
/// writes definition levels for nullable columns, compresses every page with zstd.
struct ColumnChunkEncoder {
  let descriptor: ColumnDescriptor
  let options: WriterOptions
  let compressor: ZstdCompressor

  private var chunk = EncodedColumnChunk()
  private var body: [UInt8]
  private var valueScratch: [UInt8]
  /// A page's definition levels, eight to a byte.
  private var levelBits: [UInt8] = []

  /// `buffers` are empty arrays whose capacity a previous chunk left (see `ParquetWriteContext`).
  init(
    descriptor: ColumnDescriptor, options: WriterOptions, compressor: ZstdCompressor,
    buffers: EncoderBuffers = EncoderBuffers()
  ) {
    self.descriptor = descriptor
    self.options = options
    self.compressor = compressor
    body = buffers.page
    valueScratch = buffers.values
    chunk.bytes = buffers.chunk
  }

  /// The page and scratch buffers, for the next encoder (the chunk's bytes leave with the chunk).
  mutating func takeBuffers() -> EncoderBuffers {
    var buffers = EncoderBuffers()
    swap(&buffers.page, &body)
    swap(&buffers.values, &valueScratch)
    buffers.page.removeAll(keepingCapacity: true)
    return buffers
  }

  /// Appends `byteCount` bytes to the page, which `write` stores through a pointer and returns
  /// how many it stored: values go to the page in one copy, where an `append(contentsOf:)` per
  /// value spent about a hundred instructions of bookkeeping on each.
  @inline(__always)
  private mutating func appendValues(byteCount: Int, _ write: (UnsafeMutableRawPointer) -> Int) {
    if valueScratch.count < byteCount {
      valueScratch = [UInt8](repeating: 0, count: max(byteCount, valueScratch.count * 2))
    }
    let written = valueScratch.withUnsafeMutableBytes { write($0.baseAddress!) }
    precondition(written <= byteCount)
    valueScratch.withUnsafeBufferPointer { body.append(contentsOf: UnsafeBufferPointer(rebasing: $0[0..<written])) }
  }

  /// Stores `value`'s bytes at `at`, preceded by its length when `withLength` (PLAIN byte arrays);
  /// returns the position after them.
  @inline(__always)
  static func store(
    _ value: UnsafeRawBufferPointer, at out: UnsafeMutableRawPointer, _ at: Int, withLength: Bool
  ) -> Int {
    var at = at
    if withLength {
      out.storeBytes(of: UInt32(value.count).littleEndian, toByteOffset: at, as: UInt32.self)
      at += 4
    }
    if value.count > 0 { memcpy(out + at, value.baseAddress!, value.count) }
    return at + value.count
  }

  /// `order` lists the rows to write, in output order (a sort permutation), or nil for row order.
  /// The returned chunk owns the encoder's chunk buffer; the encoder encodes one chunk.
  mutating func encode(_ input: ColumnInput, order: [Int32]?) throws -> EncodedColumnChunk {
    chunk.bytes.removeAll(keepingCapacity: true)
    let rowCount = order?.count ?? input.count
    chunk.numValues = rowCount
    let rows: [Int32] = order ?? (0..<Int32(input.count)).map { $0 }
    switch input {
    case .borrowedText(let view):
      try encodeByteArray(view, rows: rows)
    case .values(.byteArray(let b)):
      try b.withView { try encodeByteArray($0, rows: rows) }
    case .borrowedInt64(let v, let isNull):
      try encodeIntegers(rows: rows, isNull: isNull, width: 8) { v[$0] }
    case .values(.int64(let v, let isNull)):
      try encodeIntegers(rows: rows, isNull: isNull, width: 8) { v[$0] }
    case .borrowedInt32(let v, let isNull):
      try encodeIntegers(rows: rows, isNull: isNull, width: 4) { Int64(v[$0]) }
    case .values(.int32(let v, let isNull)):
      try encodeIntegers(rows: rows, isNull: isNull, width: 4) { Int64(v[$0]) }
    case .borrowedBoolean(let v, let isNull):
      try encodeBooleans(v, isNull: isNull, rows: rows)
    case .values(.boolean(let v, let isNull)):
      try encodeBooleans(v, isNull: isNull, rows: rows)
    case .values(.double):
      throw ParquetError.unsupported("column \(descriptor.name): this writer does not write floating-point columns")
    }
    return finishChunk()
  }

  private mutating func finishChunk() -> EncodedColumnChunk {
    chunk.compressedSize = chunk.bytes.count
    var done = EncodedColumnChunk()
    swap(&done, &chunk)
    return done
  }

  // MARK: page cutting

  /// Splits `rows` into page-sized row ranges; `valueSize(row)` estimates a row's PLAIN size,
  /// and `bytes` is the sum of the estimates of a page's rows.
  private func pageRanges(_ rows: [Int32], valueSize: (Int) -> Int) -> [(rows: Range<Int>, bytes: Int)] {
    var pages: [(rows: Range<Int>, bytes: Int)] = []
    var start = 0
    var bytes = 0
    for i in 0..<rows.count {
      bytes += valueSize(Int(rows[i]))
      if i + 1 - start >= options.pageRowLimit || bytes >= options.pageByteLimit {
        pages.append((start..<(i + 1), bytes))
        start = i + 1
        bytes = 0
      }
    }
    if start < rows.count || pages.isEmpty { pages.append((start..<rows.count, bytes)) }
    return pages
  }

  /// Appends definition levels (with the v1 4-byte length prefix) for the page's rows.
  private mutating func appendDefinitionLevels<Nulls: RandomAccessCollection<Bool>>(
    rows: ArraySlice<Int32>, isNull: Nulls, nullsInPage: Int
  ) where Nulls.Index == Int {
    guard descriptor.nullable else { return }
    let lengthAt = body.count
    body.append(contentsOf: [0, 0, 0, 0])
    if nullsInPage == 0 || nullsInPage == rows.count {
      RLEHybridEncoder.writeRLERun(value: nullsInPage == 0 ? 1 : 0, count: rows.count, bitWidth: 1, into: &body)
    } else {
      levelBits.removeAll(keepingCapacity: true)
      Self.appendBits(rows, to: &levelBits) { !isNull[$0] }
      levelBits.withUnsafeBufferPointer { RLEHybridEncoder.encodeBits($0, count: rows.count, into: &body) }
    }
    let length = UInt32(body.count - lengthAt - 4)
    withUnsafeBytes(of: length.littleEndian) { lb in
      for k in 0..<4 { body[lengthAt + k] = lb[k] }
    }
  }

  private mutating func flushPage(type: PageType, valueCount: Int, encoding: Encoding) throws {
    do {
      // A local reference to the page, so that appending to the chunk does not overlap an
      // access to `self.body`; it ends with this block, leaving `body` unique for reuse.
      let page = body
      let compressor = self.compressor
      try page.withUnsafeBytes { raw in
        try compressor.compress(raw) { frame in
          appendPage(type: type, valueCount: valueCount, encoding: encoding, uncompressed: raw.count, frame)
        }
      }
    }
    body.removeAll(keepingCapacity: true)
  }

  /// Appends the page header and the compressed body to the chunk.
  private mutating func appendPage(
    type: PageType, valueCount: Int, encoding: Encoding, uncompressed: Int, _ frame: UnsafeRawBufferPointer
  ) {
    let compressedSize = frame.count
    var h = ThriftCompactWriter()
    h.field(1, i32: type.rawValue)
    h.field(2, i32: Int32(uncompressed))
    h.field(3, i32: Int32(compressedSize))
    h.field(4, i32: PageChecksum.crc32(frame))
    if type == .dictionaryPage {
      h.beginStruct(7)
      h.field(1, i32: Int32(valueCount))
      h.field(2, i32: Encoding.plain.rawValue)
      h.field(3, bool: false)
      h.endStruct()
      chunk.dictionaryPageOffset = chunk.bytes.count
    } else {
      h.beginStruct(5)
      h.field(1, i32: Int32(valueCount))
      h.field(2, i32: encoding.rawValue)
      h.field(3, i32: Encoding.rle.rawValue)
      h.field(4, i32: Encoding.rle.rawValue)
      h.endStruct()
      if chunk.dataPageCount == 0 { chunk.dataPageOffset = chunk.bytes.count }
      chunk.dataPageCount += 1
    }
    h.stop()
    chunk.bytes.append(contentsOf: h.bytes)
    chunk.bytes.append(contentsOf: frame.assumingMemoryBound(to: UInt8.self))
    chunk.totalUncompressedSize += h.bytes.count + uncompressed
  }

  /// Writes data pages of dictionary indices (`indices` holds one entry per non-null row).
  private mutating func writeDictionaryDataPages<Nulls: RandomAccessCollection<Bool>>(
    rows: [Int32], isNull: Nulls, indices: [UInt32], dictionarySize: Int
  ) throws where Nulls.Index == Int {
    let width = RLEHybridEncoder.bitWidth(forMaxValue: UInt32(max(dictionarySize - 1, 0)))
    var nextIndex = 0
    for page in pageRanges(rows, valueSize: { _ in 2 }) {
      let pageRows = rows[page.rows]
      let nulls = descriptor.nullable ? Self.nullCount(pageRows, isNull) : 0
      appendDefinitionLevels(rows: pageRows, isNull: isNull, nullsInPage: nulls)
      let nonNull = pageRows.count - nulls
      body.append(UInt8(width))
      indices.withUnsafeBufferPointer { all in
        RLEHybridEncoder.encode(
          UnsafeBufferPointer(rebasing: all[nextIndex..<(nextIndex + nonNull)]), bitWidth: width,
          into: &body)
      }
      nextIndex += nonNull
      try flushPage(type: .dataPage, valueCount: pageRows.count, encoding: .rleDictionary)
    }
  }

  // MARK: byte arrays

  private mutating func encodeByteArray(_ b: ByteArrayView, rows: [Int32]) throws {
    let nonNullEstimate = rows.count
    var nullCount = 0
    var builder = ByteArrayDictionaryBuilder(
      maxEntries: max(1, Int(Double(nonNullEstimate) * options.dictionaryMaxRatio)),
      maxBytes: options.dictionaryByteLimit, rows: rows.count)
    var indices: [UInt32] = []
    indices.reserveCapacity(rows.count)
    var dictionaryOK = true
    let arena = UnsafeBufferPointer(
      start: b.bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), count: b.bytes.count)
    // A value equal to the previous row's takes its index without a hash: low-cardinality
    // columns (protocol, TLS version, operation, bucket) repeat from row to row most of the time.
    var last = (start: 0, length: -1, index: UInt32(0))
    for r in rows {
      let row = Int(r)
      if b.isNull[row] {
        nullCount += 1
        continue
      }
      guard dictionaryOK else { continue }
      let range = b.range(row)
      if range.count == last.length && ByteHash.equal(arena, last.start, range.lowerBound, last.length) {
        builder.countRepeat()
        indices.append(last.index)
      } else if let idx = builder.index(of: arena, start: range.lowerBound, length: range.count) {
        indices.append(idx)
        last = (range.lowerBound, range.count, idx)
      } else {
        dictionaryOK = false
      }
    }
    chunk.statistics.nullCount = Int64(nullCount)
    let nonNullCount = rows.count - nullCount
    if nonNullCount > 0 && dictionaryOK {
      chunk.usedDictionary = true
      chunk.valueEncoding = .rleDictionary
      chunk.statistics.distinctCount = Int64(builder.count)
      // Dictionary page: the distinct values, PLAIN.
      var minEntry = 0
      var maxEntry = 0
      func entry(_ i: Int) -> UnsafeRawBufferPointer {
        let s = Int(builder.entryStarts[i])
        return UnsafeRawBufferPointer(rebasing: b.bytes[s..<(s + Int(builder.entryLengths[i]))])
      }
      appendValues(byteCount: builder.plainBytes) { out in
        var at = 0
        for i in 0..<builder.count {
          let e = entry(i)
          at = Self.store(e, at: out, at, withLength: true)
          if i > 0 {
            if Self.lessThan(e, entry(minEntry)) { minEntry = i }
            if Self.lessThan(entry(maxEntry), e) { maxEntry = i }
          }
        }
        return at
      }
      chunk.statistics.setStringRange(min: entry(minEntry), max: entry(maxEntry))
      if descriptor.bloomFilter {
        var filter = SplitBlockBloomFilter(distinctValues: builder.count, fpp: options.bloomFilterFPP)
        for i in 0..<builder.count { filter.insert(hash: XXHash64.hash(entry(i))) }
        chunk.bloomFilter = filter
      }
      try flushPage(type: .dictionaryPage, valueCount: builder.count, encoding: .plain)
      try writeDictionaryDataPages(
        rows: rows, isNull: b.isNull, indices: indices, dictionarySize: builder.count)
      return
    }
    // PLAIN or DELTA_LENGTH_BYTE_ARRAY for the whole chunk.
    let delta = descriptor.deltaEncoded && options.deltaEncodings
    chunk.valueEncoding = delta ? .deltaLengthByteArray : .plain
    var minRow = -1
    var maxRow = -1
    var filter =
      descriptor.bloomFilter ? SplitBlockBloomFilter(distinctValues: nonNullCount, fpp: options.bloomFilterFPP) : nil
    if filter != nil {
      for r in rows where !b.isNull[Int(r)] { filter!.insert(hash: XXHash64.hash(b.value(Int(r)))) }
    }
    for page in pageRanges(rows, valueSize: { b.range($0).count + 4 }) {
      let pageRows = rows[page.rows]
      let nulls = descriptor.nullable ? Self.nullCount(pageRows, b.isNull) : 0
      appendDefinitionLevels(rows: pageRows, isNull: b.isNull, nullsInPage: nulls)
      if delta {
        var next = pageRows.startIndex
        DeltaBinaryPackedEncoder.encode(count: pageRows.count - nulls, into: &body) { _ in
          next = Self.nextPresent(pageRows, from: next, isNull: b.isNull)
          defer { next += 1 }
          return Int64(b.range(Int(pageRows[next])).count)
        }
      }
      // The page's estimate counts four length bytes for every row: at least what PLAIN or
      // DELTA_LENGTH_BYTE_ARRAY writes of its values.
      appendValues(byteCount: page.bytes) { out in
        var at = 0
        for r in pageRows {
          let row = Int(r)
          if b.isNull[row] { continue }
          let v = b.value(row)
          at = Self.store(v, at: out, at, withLength: !delta)
          if minRow < 0 {
            minRow = row
            maxRow = row
          } else {
            if Self.lessThan(v, b.value(minRow)) { minRow = row }
            if Self.lessThan(b.value(maxRow), v) { maxRow = row }
          }
        }
        return at
      }
      try flushPage(type: .dataPage, valueCount: pageRows.count, encoding: chunk.valueEncoding)
    }
    if minRow >= 0 { chunk.statistics.setStringRange(min: b.value(minRow), max: b.value(maxRow)) }
    chunk.bloomFilter = filter
  }

  /// The first position from `i` on of a row of the page that holds a value.
  @inline(__always)
  static func nextPresent<Nulls: RandomAccessCollection<Bool>>(
    _ pageRows: ArraySlice<Int32>, from i: Int, isNull: Nulls
  ) -> Int where Nulls.Index == Int {
    var i = i
    while isNull[Int(pageRows[i])] { i += 1 }
    return i
  }

  /// Unsigned byte-wise order, the TYPE_ORDER of STRING / BYTE_ARRAY.
  /// `memcmp` compares unsigned bytes; URIs and ARNs share long prefixes, which a byte loop
  /// walked twice per value (against the minimum and the maximum).
  static func lessThan(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
    let n = min(a.count, b.count)
    if n > 0, let pa = a.baseAddress, let pb = b.baseAddress {
      let c = memcmp(pa, pb, n)
      if c != 0 { return c < 0 }
    }
    return a.count < b.count
  }

  // MARK: integers

  static let integerDictionaryRepeats = 20

  private mutating func encodeIntegers<Nulls: RandomAccessCollection<Bool>>(
    rows: [Int32], isNull: Nulls, width: Int, value: (Int) -> Int64
  ) throws where Nulls.Index == Int {
    var nullCount = 0
    var minV = Int64.max
    var maxV = Int64.min
    // Past one distinct value in `integerDictionaryRepeats` rows the dictionary is refused below
    // anyway, so building it stops there (ids, sizes and times never get that far).
    var builder = IntegerDictionaryBuilder(
      maxEntries: max(
        1,
        min(
          65_536, Int(Double(rows.count) * options.dictionaryMaxRatio), rows.count / Self.integerDictionaryRepeats)))
    var indices: [UInt32] = []
    indices.reserveCapacity(rows.count)
    var dictionaryOK = true
    for r in rows {
      let row = Int(r)
      if isNull[row] {
        nullCount += 1
        continue
      }
      let v = value(row)
      if v < minV { minV = v }
      if v > maxV { maxV = v }
      if dictionaryOK {
        if let idx = builder.index(of: v) { indices.append(idx) } else { dictionaryOK = false }
      }
    }
    chunk.statistics.nullCount = Int64(nullCount)
    let nonNullCount = rows.count - nullCount
    if nonNullCount > 0 {
      chunk.statistics.setIntegerRange(
        min: minV, max: maxV, physicalType: width == 4 ? .int32 : .int64)
    }
    /// PLAIN: each value little-endian in `width` bytes.
    func storePlain(_ v: Int64, _ out: UnsafeMutableRawPointer, _ at: Int) -> Int {
      if width == 4 {
        out.storeBytes(of: Int32(truncatingIfNeeded: v).littleEndian, toByteOffset: at, as: Int32.self)
      } else {
        out.storeBytes(of: v.littleEndian, toByteOffset: at, as: Int64.self)
      }
      return at + width
    }
    // A dictionary pays for integers only when values repeat a lot (status codes, counts of
    // fields): with more than one distinct value in twenty, zstd over PLAIN values is smaller
    // (times sorted within a row group share their high bytes) and reads without a lookup.
    if nonNullCount > 0 && dictionaryOK && builder.count * Self.integerDictionaryRepeats <= nonNullCount {
      chunk.usedDictionary = true
      chunk.valueEncoding = .rleDictionary
      chunk.statistics.distinctCount = Int64(builder.count)
      appendValues(byteCount: builder.count * width) { out in
        builder.entries.reduce(0) { at, v in storePlain(v, out, at) }
      }
      try flushPage(type: .dictionaryPage, valueCount: builder.count, encoding: .plain)
      try writeDictionaryDataPages(
        rows: rows, isNull: isNull, indices: indices, dictionarySize: builder.count)
      return
    }
    // DELTA_BINARY_PACKED for INT64 only: INT32 readers unpack deltas in 32-bit arithmetic.
    let delta = descriptor.deltaEncoded && options.deltaEncodings && width == 8
    chunk.valueEncoding = delta ? .deltaBinaryPacked : .plain
    for page in pageRanges(rows, valueSize: { _ in width }) {
      let pageRows = rows[page.rows]
      let nulls = descriptor.nullable ? Self.nullCount(pageRows, isNull) : 0
      appendDefinitionLevels(rows: pageRows, isNull: isNull, nullsInPage: nulls)
      if delta {
        var next = pageRows.startIndex
        DeltaBinaryPackedEncoder.encode(count: pageRows.count - nulls, into: &body) { _ in
          next = Self.nextPresent(pageRows, from: next, isNull: isNull)
          defer { next += 1 }
          return value(Int(pageRows[next]))
        }
      } else {
        appendValues(byteCount: (pageRows.count - nulls) * width) { out in
          var at = 0
          for r in pageRows where !isNull[Int(r)] { at = storePlain(value(Int(r)), out, at) }
          return at
        }
      }
      try flushPage(type: .dataPage, valueCount: pageRows.count, encoding: chunk.valueEncoding)
    }
  }

  // MARK: booleans

  /// Appends one bit per row, `bit(row)`, eight to a byte, least significant first, the last
  /// byte zero-padded: PLAIN booleans and packed definition levels alike.
  @inline(__always)
  static func appendBits<Rows: Sequence<Int32>>(_ rows: Rows, to out: inout [UInt8], _ bit: (Int) -> Bool) {
    var byte: UInt8 = 0
    var k: UInt8 = 0
    for r in rows {
      // Without a branch: whether a row is null follows no pattern the predictor can learn
      // (rows come in time order, not input order), and a mispredicted branch per row was a
      // third of the definition levels' time.
      byte |= unsafeBitCast(bit(Int(r)), to: UInt8.self) << k
      k += 1
      if k == 8 {
        out.append(byte)
        byte = 0
        k = 0
      }
    }
    if k > 0 { out.append(byte) }
  }

  /// The rows of `pageRows` that are null, counted without a branch per row (see `appendBits`).
  @inline(__always)
  static func nullCount<Nulls: RandomAccessCollection<Bool>>(_ pageRows: ArraySlice<Int32>, _ isNull: Nulls) -> Int
  where Nulls.Index == Int {
    var n = 0
    for r in pageRows { n &+= Int(unsafeBitCast(isNull[Int(r)], to: UInt8.self)) }
    return n
  }

  private mutating func encodeBooleans<Values: RandomAccessCollection<Bool>>(
    _ v: Values, isNull: Values, rows: [Int32]
  ) throws where Values.Index == Int {
    var nullCount = 0
    var sawFalse = false
    var sawTrue = false
    for page in pageRanges(rows, valueSize: { _ in 1 }) {
      let pageRows = rows[page.rows]
      let nulls = descriptor.nullable ? Self.nullCount(pageRows, isNull) : 0
      nullCount += nulls
      appendDefinitionLevels(rows: pageRows, isNull: isNull, nullsInPage: nulls)
      Self.appendBits(pageRows.lazy.filter { !isNull[Int($0)] }, to: &body) { row in
        if v[row] { sawTrue = true } else { sawFalse = true }
        return v[row]
      }
      try flushPage(type: .dataPage, valueCount: pageRows.count, encoding: .plain)
    }
    chunk.statistics.nullCount = Int64(nullCount)
    if sawFalse || sawTrue {
      chunk.statistics.minValue = [sawFalse ? 0 : 1]
      chunk.statistics.maxValue = [sawTrue ? 1 : 0]
    }
  }
}
