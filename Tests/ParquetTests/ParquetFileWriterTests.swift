import Foundation
import Testing

@testable import Parquet

@Suite struct ParquetFileWriterTests {
  static let schema = Schema(columns: [
    ColumnDescriptor(name: "t", physicalType: .int64, logicalType: .timestampMicrosUTC, nullable: false, fieldId: 1),
    ColumnDescriptor(name: "s", physicalType: .byteArray, logicalType: .string, fieldId: 2),
  ])

  @Test func fileHasMagicAtBothEndsAndAFooterThatFits() throws {
    let path = NSTemporaryDirectory() + "sigtrail-writer-\(getpid()).parquet"
    defer { unlink(path) }
    var strings = ByteArrayValues()
    for i in 0..<1000 {
      if i % 10 == 0 { strings.appendNull() } else { strings.append(Array("v\(i % 7)".utf8)) }
    }
    let w = try ParquetFileWriter(path: path, schema: Self.schema)
    try w.writeRowGroup(
      [
        .int64(values: (0..<1000).map { Int64($0) }, isNull: [Bool](repeating: false, count: 1000)),
        .byteArray(strings),
      ],
      order: (0..<1000).reversed().map { Int32($0) }, sortedByColumn: 0)
    try w.finish(keyValueMetadata: [("k", "v")])
    let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
    #expect(bytes.prefix(4) == Data("PAR1".utf8))
    #expect(bytes.suffix(4) == Data("PAR1".utf8))
    let footerLength = bytes.subdata(in: (bytes.count - 8)..<(bytes.count - 4)).withUnsafeBytes {
      Int($0.loadUnaligned(as: UInt32.self).littleEndian)
    }
    #expect(footerLength > 0 && footerLength < bytes.count - 12)
    #expect(w.rowCount == 1000)
  }

  /// A thread reuses one context (zstd tables, page and chunk buffers) for all its files: what
  /// an earlier file left in the buffers must never reach a later one.
  @Test func aSharedWriteContextWritesTheSameBytesAsAFreshOne() throws {
    func write(_ path: String, rows: Int, seed: Int, context: ParquetWriteContext) throws -> Data {
      var strings = ByteArrayValues()
      for i in 0..<rows {
        if i % 10 == seed {
          strings.appendNull()
        } else {
          strings.append(Array("v\(String((i &* seed &* 2_654_435_761) & 0xFFFF_FFFF, radix: 16))".utf8))
        }
      }
      let w = try ParquetFileWriter(path: path, schema: Self.schema, context: context)
      try w.writeRowGroup(
        [
          .int64(values: (0..<rows).map { Int64($0 * seed) }, isNull: [Bool](repeating: false, count: rows)),
          .byteArray(strings),
        ], order: nil, sortedByColumn: nil)
      try w.finish()
      let data = try Data(contentsOf: URL(fileURLWithPath: path))
      #expect(w.bytesWritten == data.count)
      return data
    }
    let path = NSTemporaryDirectory() + "sigtrail-context-\(getpid()).parquet"
    defer { unlink(path) }
    let fresh = try write(path, rows: 300, seed: 3, context: ParquetWriteContext())
    let shared = ParquetWriteContext()
    // Larger than one buffered write (ParquetFileWriter.writeSize): random text defeats zstd.
    let large = try write(path, rows: 400_000, seed: 7, context: shared)
    #expect(large.count > ParquetFileWriter.writeSize)
    let reused = try write(path, rows: 300, seed: 3, context: shared)
    #expect(large.count > fresh.count)
    #expect(reused == fresh)
  }

  /// Text borrowed from the caller's memory, packed or with explicit starts, is written byte
  /// for byte as the same values in arrays (dictionary and PLAIN chunks alike).
  @Test func borrowedTextWritesTheSameFileAsValues() throws {
    let path = NSTemporaryDirectory() + "sigtrail-borrowed-\(getpid()).parquet"
    defer { unlink(path) }
    func file(_ column: ColumnInput, rows: Int) throws -> Data {
      let w = try ParquetFileWriter(path: path, schema: Self.schema)
      let times = ColumnValues.int64(
        values: (0..<rows).map { Int64($0) }, isNull: [Bool](repeating: false, count: rows))
      try w.writeRowGroup([.values(times), column], order: (0..<Int32(rows)).reversed().map { $0 }, sortedByColumn: 0)
      try w.finish()
      return try Data(contentsOf: URL(fileURLWithPath: path))
    }
    for distinct in [5, 5_000] {
      var values = ByteArrayValues()
      for i in 0..<6_000 {
        if i % 9 == 0 { values.appendNull() } else { values.append(Array("id-\(i % distinct)".utf8)) }
      }
      let plain = try file(.values(.byteArray(values)), rows: values.count)
      let packed = try values.withView { try file(.borrowedText($0), rows: values.count) }
      var unpacked = values
      unpacked.unpack()
      let withStarts = try unpacked.withView { view -> Data in
        #expect(view.starts != nil)
        return try file(.borrowedText(view), rows: values.count)
      }
      #expect(packed == plain)
      #expect(withStarts == plain)
    }
  }

  /// Borrowed integer and boolean columns are written as the same values in arrays.
  @Test func borrowedFixedWidthColumnsWriteTheSameFileAsValues() throws {
    let schema = Schema(columns: [
      ColumnDescriptor(name: "t", physicalType: .int64, logicalType: .timestampMicrosUTC, nullable: false, fieldId: 1),
      ColumnDescriptor(name: "i", physicalType: .int32, logicalType: .none, fieldId: 2),
      ColumnDescriptor(name: "b", physicalType: .boolean, logicalType: .none, fieldId: 3),
    ])
    let path = NSTemporaryDirectory() + "sigtrail-borrowed-fixed-\(getpid()).parquet"
    defer { unlink(path) }
    let rows = 5_000
    let times = (0..<rows).map { Int64($0 * 3 % 1_000) }
    let ints = (0..<rows).map { Int32($0 % 7 == 0 ? 0 : $0 % 300) }
    let flags = (0..<rows).map { $0 % 3 == 0 }
    let noNulls = [Bool](repeating: false, count: rows)
    let someNulls = (0..<rows).map { $0 % 7 == 0 }
    func file(_ columns: [ColumnInput]) throws -> Data {
      let w = try ParquetFileWriter(path: path, schema: schema)
      try w.writeRowGroup(columns, order: (0..<Int32(rows)).reversed().map { $0 }, sortedByColumn: 0)
      try w.finish()
      return try Data(contentsOf: URL(fileURLWithPath: path))
    }
    let plain = try file([
      .values(.int64(values: times, isNull: noNulls)), .values(.int32(values: ints, isNull: someNulls)),
      .values(.boolean(values: flags, isNull: someNulls)),
    ])
    let borrowed = try times.withUnsafeBufferPointer { t in
      try ints.withUnsafeBufferPointer { i in
        try flags.withUnsafeBufferPointer { f in
          try noNulls.withUnsafeBufferPointer { n0 in
            try someNulls.withUnsafeBufferPointer { n in
              try file([.borrowedInt64(t, isNull: n0), .borrowedInt32(i, isNull: n), .borrowedBoolean(f, isNull: n)])
            }
          }
        }
      }
    }
    #expect(borrowed == plain)
  }

  /// Statistics order strings as unsigned bytes, shorter prefix first.
  @Test func stringOrderIsUnsignedBytewise() {
    func less(_ a: [UInt8], _ b: [UInt8]) -> Bool {
      a.withUnsafeBytes { pa in b.withUnsafeBytes { pb in ColumnChunkEncoder.lessThan(pa, pb) } }
    }
    #expect(less([0x41], [0xC3, 0xA9]))
    #expect(!less([0xC3, 0xA9], [0x41]))
    #expect(less(Array("abc".utf8), Array("abcd".utf8)))
    #expect(!less(Array("abcd".utf8), Array("abc".utf8)))
    #expect(!less(Array("abc".utf8), Array("abc".utf8)))
    #expect(less([], [0]))
    #expect(!less([], []))
  }

  @Test func stringStatisticsAreTruncatedToValidBounds() {
    let long = Array(String(repeating: "a", count: 100).utf8) + [0xC3, 0xA9]
    var s = ColumnStatistics()
    long.withUnsafeBytes { s.setStringRange(min: $0, max: $0) }
    #expect(s.minValue == Array(long.prefix(64)))
    #expect(s.maxValue == Array(long.prefix(63)) + [UInt8(ascii: "b")])
    #expect(!s.minIsExact && !s.maxIsExact)
    // An all-0x7F..0xFF prefix has no ASCII byte to increment: no max rather than a wrong one.
    let high = [UInt8](repeating: 0x7F, count: 70)
    var t = ColumnStatistics()
    high.withUnsafeBytes { t.setStringRange(min: $0, max: $0) }
    #expect(t.maxValue == nil)
  }

  /// Integers get a dictionary only when values repeat (one distinct in twenty or fewer):
  /// sorted times and sizes are smaller PLAIN under zstd.
  @Test func integersUseADictionaryOnlyWhenValuesRepeat() throws {
    let descriptor = ColumnDescriptor(name: "i", physicalType: .int64, logicalType: .none, fieldId: 1)
    func encoded(_ values: [Int64]) throws -> EncodedColumnChunk {
      var encoder = ColumnChunkEncoder(
        descriptor: descriptor, options: WriterOptions(), compressor: ZstdCompressor(level: 1))
      let column = ColumnValues.int64(values: values, isNull: [Bool](repeating: false, count: values.count))
      return try encoder.encode(.values(column), order: nil)
    }
    let statuses = try encoded((0..<1000).map { [200, 403, 404][$0 % 3] })
    #expect(statuses.usedDictionary && statuses.dictionaryPageOffset != nil)
    let times = try encoded((0..<1000).map { 1_700_000_000_000_000 + Int64($0 / 4) * 1_000_000 })
    #expect(!times.usedDictionary && times.dictionaryPageOffset == nil)
  }

  /// Every byte of a value counts, whatever its length (short values and the tails of long ones
  /// are read in overlapping words), and values that are prefixes of one another differ.
  @Test func byteHashSeesEveryByte() {
    var seen = Set<UInt64>()
    var hashed = 0
    for length in 0...40 {
      let base = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
      let h = base.withUnsafeBytes { ByteHash.hash($0) }
      seen.insert(h)
      hashed += 1
      for position in 0..<length {
        var changed = base
        changed[position] ^= 0x01
        let other = changed.withUnsafeBytes { ByteHash.hash($0) }
        #expect(other != h, "length \(length), byte \(position)")
        seen.insert(other)
        hashed += 1
      }
    }
    #expect(seen.count == hashed)
  }

  @Test func dictionaryBuilderStopsAtItsBudget() {
    var b = ByteArrayDictionaryBuilder(maxEntries: 3, maxBytes: 1 << 20, rows: 10)
    let arena: [UInt8] = Array("aabbccdd".utf8)
    arena.withUnsafeBufferPointer { a in
      #expect(b.index(of: a, start: 0, length: 2) == 0)
      #expect(b.index(of: a, start: 2, length: 2) == 1)
      #expect(b.index(of: a, start: 0, length: 2) == 0)
      #expect(b.index(of: a, start: 4, length: 2) == 2)
      #expect(b.index(of: a, start: 6, length: 2) == nil)
    }
  }
}
