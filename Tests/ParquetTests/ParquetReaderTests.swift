import Foundation
import Testing

@testable import Parquet

@Suite struct ParquetReaderTests {
  static let schema = Schema(columns: [
    ColumnDescriptor(name: "t", physicalType: .int64, logicalType: .timestampMicrosUTC, nullable: false, fieldId: 1),
    ColumnDescriptor(name: "low", physicalType: .byteArray, logicalType: .string, fieldId: 2),
    ColumnDescriptor(name: "high", physicalType: .byteArray, logicalType: .string, fieldId: 3),
    ColumnDescriptor(name: "n", physicalType: .int32, logicalType: .integer(bitWidth: 32, signed: true), fieldId: 4),
    ColumnDescriptor(name: "b", physicalType: .boolean, fieldId: 5),
  ])

  /// 50,000 rows over two row groups: a dictionary column with nulls, a unique (PLAIN) column,
  /// nullable integers and booleans.
  static func columns(rows: Int) -> [ColumnValues] {
    var low = ByteArrayValues()
    var high = ByteArrayValues()
    var n: [Int32] = []
    var nNull: [Bool] = []
    var b: [Bool] = []
    var bNull: [Bool] = []
    for i in 0..<rows {
      if i % 11 == 0 { low.appendNull() } else { low.append(Array("op-\(i % 5)".utf8)) }
      high.append(Array("req-\(i * 7919)-\(String(repeating: "x", count: i % 13))".utf8))
      n.append(i % 3 == 0 ? 0 : Int32(i) - 25_000)
      nNull.append(i % 3 == 0)
      b.append(i % 4 == 1)
      bNull.append(i % 17 == 0)
    }
    return [
      .int64(values: (0..<rows).map { Int64($0) * 1_000_000 }, isNull: [Bool](repeating: false, count: rows)),
      .byteArray(low), .byteArray(high), .int32(values: n, isNull: nNull), .boolean(values: b, isNull: bNull),
    ]
  }

  static func writeFile(rows: Int = 50_000, rowGroupRows: Int = 30_000) throws -> [UInt8] {
    let path = NSTemporaryDirectory() + "sigtrail-reader-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).parquet"
    defer { unlink(path) }
    let values = columns(rows: rows)
    let w = try ParquetFileWriter(path: path, schema: schema)
    var start = 0
    while start < rows {
      let end = min(rows, start + rowGroupRows)
      try w.writeRowGroup(values, order: (start..<end).map { Int32($0) }, sortedByColumn: 0)
      start = end
    }
    try w.finish(keyValueMetadata: [("sigtrail.table", "test")])
    return Array(try Data(contentsOf: URL(fileURLWithPath: path)))
  }

  @Test func readsBackEveryValueOfEveryColumn() throws {
    let file = try ParquetFile(bytes: try Self.writeFile())
    let m = file.metadata
    #expect(m.rows == 50_000)
    #expect(m.rowGroups.map(\.rows) == [30_000, 20_000])
    #expect(m.columns.map(\.name) == ["t", "low", "high", "n", "b"])
    #expect(m.columns[0].kind == .timestamp(unitsPerSecond: 1_000_000))
    #expect(m.columns[1].kind == .string && m.columns[1].optional)
    #expect(!m.columns[0].optional)
    #expect(m.value(forKey: "sigtrail.table") == "test")
    #expect(m.typeDefinedOrder)
    #expect(m.rowGroups[0].sortingColumns == [0])
    let expected = Self.columns(rows: 50_000)
    var row = 0
    for g in 0..<m.rowGroups.count {
      let rows = Int(m.rowGroups[g].rows)
      for c in 0..<m.columns.count {
        let decoded = try file.read(rowGroup: g, column: c)
        if c == 1 {
          guard case .dictionary = decoded else {
            Issue.record("low-cardinality column should stay dictionary-coded")
            continue
          }
        }
        Self.expectRows(decoded.materialized(), equal: expected[c], from: row, count: rows, column: c)
      }
      row += rows
    }
    // Statistics read back: the time column's bounds per row group.
    let stats = try #require(m.rowGroups[1].columns[0].statistics)
    let low: Int64? = stats.min.map { $0.withUnsafeBytes { $0.loadUnaligned(as: Int64.self) } }
    let high: Int64? = stats.max.map { $0.withUnsafeBytes { $0.loadUnaligned(as: Int64.self) } }
    #expect(low == Int64(30_000_000_000))
    #expect(high == Int64(49_999_000_000))
  }

  /// `got` holds `count` rows equal to `expected`'s from row `from` on: nulls, types and values.
  static func expectRows(_ got: ColumnValues, equal expected: ColumnValues, from row: Int, count: Int, column c: Int) {
    #expect(got.count == count)
    for i in 0..<count {
      #expect(got.isNull(i) == expected.isNull(row + i))
      if got.isNull(i) { continue }
      switch (got, expected) {
      case (.int64(let a, _), .int64(let b, _)): #expect(a[i] == b[row + i])
      case (.int32(let a, _), .int32(let b, _)): #expect(a[i] == b[row + i])
      case (.boolean(let a, _), .boolean(let b, _)): #expect(a[i] == b[row + i])
      case (.byteArray(let a), .byteArray(let b)):
        #expect(Array(a.bytes[a.range(i)]) == Array(b.bytes[b.range(row + i)]))
      default: Issue.record("column \(c) decoded as the wrong type")
      }
    }
  }

  @Test func readsNullsWithoutDecodingValues() throws {
    let file = try ParquetFile(bytes: try Self.writeFile())
    let expected = Self.columns(rows: 50_000)
    var row = 0
    for g in 0..<file.metadata.rowGroups.count {
      let rows = Int(file.metadata.rowGroups[g].rows)
      for c in 0..<file.metadata.columns.count {
        let nulls = try file.readNulls(rowGroup: g, column: c)
        #expect(nulls.count == rows)
        let got = nulls.materialized()
        #expect((0..<rows).allSatisfy { got.isNull($0) == expected[c].isNull(row + $0) })
      }
      row += rows
    }
  }

  /// PLAIN pages are read whole, values known by start and end; appending such values to packed
  /// ones and the other way round (as compaction does) keeps every value.
  @Test func unpackedAndPackedByteArraysAppend() throws {
    let file = try ParquetFile(bytes: try Self.writeFile(rows: 2_000, rowGroupRows: 1_000))
    guard case .values(.byteArray(let read)) = try file.read(rowGroup: 0, column: 2) else {
      Issue.record("the unique column should be PLAIN")
      return
    }
    #expect(!read.starts.isEmpty)
    guard case .byteArray(let packed) = Self.columns(rows: 3)[2] else { return }
    var a = ColumnValues.byteArray(packed)
    a.append(contentsOf: .byteArray(read))
    var b = ColumnValues.byteArray(read)
    b.append(contentsOf: .byteArray(packed))
    func text(_ v: ColumnValues, _ i: Int) -> String {
      guard case .byteArray(let x) = v else { return "" }
      return String(decoding: x.bytes[x.range(i)], as: UTF8.self)
    }
    func high(_ i: Int) -> String { "req-\(i * 7919)-\(String(repeating: "x", count: i % 13))" }
    #expect(a.count == 1_003 && b.count == 1_003)
    #expect((0..<1_003).allSatisfy { text(a, $0) == high($0 < 3 ? $0 : $0 - 3) })
    #expect((0..<1_003).allSatisfy { text(b, $0) == high($0 < 1_000 ? $0 : $0 - 1_000) })
  }

  @Test func xxhash64MatchesTheReferenceVectors() {
    #expect(XXHash64.hash(UnsafeRawBufferPointer(start: nil, count: 0)) == 0xEF46_DB37_51D8_E999)
    let abc = Array("abc".utf8)
    #expect(abc.withUnsafeBytes { XXHash64.hash($0) } == 0x44BC_2CF5_AD77_0999)
    let long = Array("Nobody inspects the spammish repetition".utf8)
    #expect(long.withUnsafeBytes { XXHash64.hash($0) } == 0xFBCE_A83C_8A37_8BF1)
  }

  @Test func bloomFilterHasNoFalseNegativesAndFewFalsePositives() {
    var f = SplitBlockBloomFilter(distinctValues: 10_000, fpp: 0.01)
    for i in 0..<10_000 { f.insert(hash: SplitBlockBloomFilter.hash("key-\(i)")) }
    for i in 0..<10_000 { #expect(f.mightContain(hash: SplitBlockBloomFilter.hash("key-\(i)"))) }
    let falsePositives = (0..<10_000).filter { f.mightContain(hash: SplitBlockBloomFilter.hash("other-\($0)")) }
    #expect(falsePositives.count < 300)
    let bytes = f.serialized()
    let back = bytes.withUnsafeBytes { try? SplitBlockBloomFilter.read($0, at: 0) }
    #expect(back?.byteCount == f.byteCount)
    #expect(back?.mightContain(hash: SplitBlockBloomFilter.hash("key-42")) == true)
  }

  /// The bits the filter sets are the specification's (BloomFilter.md), word by word: block
  /// `((h >> 32) * blocks) >> 32`, and in word k bit `(x * salt[k]) >> 27` of the low half x.
  @Test func bloomFilterSetsTheSpecificationsBits() {
    let salt: [UInt32] = [
      0x47b6_137b, 0x4497_4d91, 0x8824_ad5b, 0xa2b7_289d, 0x7054_95c7, 0x2df1_424b, 0x9efc_4947, 0x5c6b_fb31,
    ]
    var f = SplitBlockBloomFilter(distinctValues: 3_000, fpp: 0.01)
    var expected = [UInt32](repeating: 0, count: f.words.count)
    let blocks = UInt64(f.words.count / 8)
    for i in 0..<3_000 {
      let h = SplitBlockBloomFilter.hash("value-\(i)")
      f.insert(hash: h)
      let block = Int(((h >> 32) &* blocks) >> 32)
      let x = UInt32(truncatingIfNeeded: h)
      for k in 0..<8 { expected[block * 8 + k] |= 1 << ((x &* salt[k]) >> 27) }
    }
    #expect(f.words == expected)
  }

  @Test func snappyDecodesLiteralsAndOverlappingCopies() throws {
    // "abcabcabcabcX": literal "abc", copy offset 3 length 9, literal "X".
    let input: [UInt8] = [13, 0x08, 0x61, 0x62, 0x63, 0x15, 0x03, 0x00, 0x58]
    let out = try input.withUnsafeBytes { try SnappyDecompressor.decompress($0, expectedSize: 13) }
    #expect(String(decoding: out, as: UTF8.self) == "abcabcabcabcX")
    let lying: [UInt8] = [13, 0x08, 0x61, 0x62, 0x63, 0x15, 0x09, 0x00]
    #expect(throws: ParquetError.self) {
      _ = try lying.withUnsafeBytes { try SnappyDecompressor.decompress($0, expectedSize: 13) }
    }
  }

  @Test func deltaBinaryPackedDecodes() throws {
    // parquet-format's example: 1..5 with block 128, 4 miniblocks: header then one block.
    var bytes: [UInt8] = [0x80, 0x01, 0x04, 0x05, 0x02]  // block 128, 4 miniblocks, 5 values, first 1
    bytes += [0x02]  // min delta 1 (zigzag 2)
    bytes += [0, 0, 0, 0]  // all deltas equal the minimum: width 0
    let values = try bytes.withUnsafeBytes { try DeltaBinaryPackedDecoder.decode($0, count: 5) }
    #expect(values == [1, 2, 3, 4, 5])
  }

  /// Every truncation and hundreds of byte flips of a valid file: an error or a result, never a
  /// crash (the fuzz target goes further).
  @Test func corruptFilesAreErrorsNotCrashes() throws {
    let good = try Self.writeFile(rows: 3000, rowGroupRows: 1000)
    var failures = 0
    for cut in stride(from: 0, to: good.count, by: max(1, good.count / 300)) {
      if (try? ParquetFile(bytes: Array(good[0..<cut]))) == nil { failures += 1 }
    }
    #expect(failures > 0)
    var generator = SystemRandomNumberGenerator()
    for _ in 0..<400 {
      var bad = good
      for _ in 0..<Int.random(in: 1...4, using: &generator) {
        bad[Int.random(in: 0..<bad.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
      }
      guard let file = try? ParquetFile(bytes: bad) else { continue }
      for g in 0..<file.metadata.rowGroups.count {
        for c in 0..<file.metadata.columns.count {
          _ = try? file.read(rowGroup: g, column: c)
          _ = try? file.bloomFilter(rowGroup: g, column: c)
        }
      }
    }
  }

  /// Each failure says what kind it is (damage, something unsupported, the system) and where.
  @Test func errorsSayWhatAndWhere() throws {
    #expect(throws: ParquetError.located("<memory>", .corrupt("not a Parquet file (no PAR1 magic)"))) {
      _ = try ParquetFile(bytes: Array("hello, world, not parquet".utf8))
    }
    do {
      _ = try ParquetFile(bytes: Array("PAR1xxxxxxxxPARE".utf8), name: "x.parquet")
      Issue.record("an encrypted footer was read")
    } catch {
      #expect(error.underlying == .unsupported("the file is encrypted; encrypted Parquet is not supported"))
      #expect(error.description.hasPrefix("x.parquet: "))
    }
    #expect {
      _ = try ParquetFile(path: "/nonexistent/sigtrail.parquet")
    } throws: { error in
      guard case .io(let message) = error as? ParquetError else { return false }
      return message.contains("/nonexistent/sigtrail.parquet: cannot open")
    }
    // A flipped byte inside a page: damage, located at its file, row group and column.
    var bad = try Self.writeFile(rows: 3000, rowGroupRows: 1000)
    let file = try ParquetFile(bytes: bad, name: "flipped.parquet")
    let chunk = file.metadata.rowGroups[0].columns[0]
    bad[Int(chunk.dataPageOffset + chunk.compressedBytes) - 2] ^= 0x40
    do {
      _ = try ParquetFile(bytes: bad, name: "flipped.parquet").read(rowGroup: 0, column: 0)
      Issue.record("a flipped byte went unnoticed")
    } catch {
      guard case .corrupt(let message) = error.underlying else {
        Issue.record("not reported as damage: \(error)")
        return
      }
      #expect(message.contains("checksum"))
      #expect(error.description.hasPrefix("flipped.parquet: row group 0: "))
    }
  }
}
