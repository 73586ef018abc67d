import Foundation
import Testing

@testable import Parquet

/// DELTA_BINARY_PACKED and DELTA_LENGTH_BYTE_ARRAY, written for columns that ask for them and
/// read back by our reader (pyarrow and DuckDB read them in the interop tests).
@Suite struct DeltaEncodingTests {
  /// Round trips at every count around block and miniblock edges, for small steps, full-range
  /// values (deltas that wrap) and constant runs; the decoder ends exactly where the encoding does.
  @Test(arguments: [0, 1, 2, 31, 32, 33, 127, 128, 129, 130, 1000, 4097])
  func binaryPackedRoundTrips(count: Int) throws {
    var generator = SystemRandomNumberGenerator()
    let series: [[Int64]] = [
      (0..<count).map { 1_700_000_000_000_000 + Int64($0) * 1_000_000 + Int64.random(in: 0..<999, using: &generator) },
      (0..<count).map { _ in Int64.random(in: Int64.min...Int64.max, using: &generator) },
      (0..<count).map { $0 % 2 == 0 ? Int64.min : Int64.max },
      [Int64](repeating: 42, count: count),
      (0..<count).map { Int64(($0 * 7919) % 300) - 150 },
    ]
    for values in series {
      var bytes: [UInt8] = []
      DeltaBinaryPackedEncoder.encode(count: values.count, into: &bytes) { values[$0] }
      bytes += [0xAB, 0xCD]  // what follows the lengths of a DELTA_LENGTH_BYTE_ARRAY page
      let (back, used) = try bytes.withUnsafeBytes {
        try DeltaBinaryPackedDecoder.decode($0, count: values.count, exact: true)
      }
      #expect(back == values)
      #expect(used == bytes.count - 2)
    }
  }

  @Test func binaryPackedRejectsAWrongCount() throws {
    var bytes: [UInt8] = []
    DeltaBinaryPackedEncoder.encode(count: 10, into: &bytes) { Int64($0) }
    #expect(throws: ParquetError.self) {
      _ = try bytes.withUnsafeBytes { try DeltaBinaryPackedDecoder.decode($0, count: 9, exact: true) }
    }
    #expect(throws: ParquetError.self) {
      _ = try bytes.withUnsafeBytes { try DeltaBinaryPackedDecoder.decode($0, count: 11, exact: false) }
    }
  }

  static let schema = Schema(columns: [
    ColumnDescriptor(name: "t", physicalType: .int64, nullable: false, fieldId: 1, deltaEncoded: true),
    ColumnDescriptor(name: "maybe", physicalType: .int64, fieldId: 2, deltaEncoded: true),
    ColumnDescriptor(name: "text", physicalType: .byteArray, logicalType: .string, fieldId: 3, deltaEncoded: true),
    ColumnDescriptor(name: "kind", physicalType: .byteArray, logicalType: .string, fieldId: 4, deltaEncoded: true),
  ])

  static func columns(rows: Int) -> [ColumnValues] {
    var text = ByteArrayValues()
    var kind = ByteArrayValues()
    for i in 0..<rows {
      if i % 5 == 0 { text.appendNull() } else { text.append(Array("id-\(i * 104_729)".utf8.prefix(i % 17))) }
      kind.append(Array("k\(i % 3)".utf8))
    }
    return [
      .int64(
        values: (0..<rows).map { i in i == 7 ? Int64.min : Int64(i) * 3_000_017 },
        isNull: Array(repeating: false, count: rows)),
      .int64(values: (0..<rows).map { Int64($0 % 1000) - 500 }, isNull: (0..<rows).map { $0 % 3 == 0 }),
      .byteArray(text), .byteArray(kind),
    ]
  }

  /// Several row groups of several pages each (pages end inside delta blocks), nulls anywhere,
  /// empty strings; a low-cardinality column still takes its dictionary.
  @Test func writerUsesThemAndReaderReadsThemBack() throws {
    let rows = 5_000
    let path = NSTemporaryDirectory() + "sigtrail-delta-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).parquet"
    defer { unlink(path) }
    var options = WriterOptions()
    options.pageRowLimit = 700
    let values = Self.columns(rows: rows)
    let w = try ParquetFileWriter(path: path, schema: Self.schema, options: options)
    for start in stride(from: 0, to: rows, by: 3_000) {
      try w.writeRowGroup(values, order: (start..<min(rows, start + 3_000)).map { Int32($0) }, sortedByColumn: nil)
    }
    try w.finish(keyValueMetadata: [])
    let file = try ParquetFile(bytes: Array(try Data(contentsOf: URL(fileURLWithPath: path))))
    let encodings = file.metadata.rowGroups[0].columns.map { Set($0.encodings) }
    #expect(
      encodings == [
        [.rle, .deltaBinaryPacked], [.rle, .deltaBinaryPacked], [.rle, .deltaLengthByteArray],
        [.plain, .rle, .rleDictionary],
      ])
    var row = 0
    for g in 0..<file.metadata.rowGroups.count {
      let n = Int(file.metadata.rowGroups[g].rows)
      for c in 0..<4 {
        let got = try file.read(rowGroup: g, column: c).materialized()
        ParquetReaderTests.expectRows(got, equal: values[c], from: row, count: n, column: c)
      }
      row += n
    }
  }
}
