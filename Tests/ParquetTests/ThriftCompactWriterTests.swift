import Testing

@testable import Parquet

/// Byte vectors verified against pyarrow-written files (parquet-notes §2.1 and §5.2).
@Suite struct ThriftCompactWriterTests {
  @Test func dictionaryPageHeaderMatchesPyarrow() {
    var w = ThriftCompactWriter()
    w.field(1, i32: 2)
    w.field(2, i32: 10)
    w.field(3, i32: 19)
    w.beginStruct(7)
    w.field(1, i32: 2)
    w.field(2, i32: 0)
    w.field(3, bool: false)
    w.endStruct()
    w.stop()
    #expect(w.bytes == [0x15, 0x04, 0x15, 0x14, 0x15, 0x26, 0x4c, 0x15, 0x04, 0x15, 0x00, 0x12, 0x00, 0x00])
  }

  @Test func timestampSchemaElementMatchesPyarrow() {
    var w = ThriftCompactWriter()
    w.field(1, i32: 2)
    w.field(3, i32: 1)
    w.field(4, string: "ts")
    w.field(6, i32: 10)
    w.beginStruct(10)
    w.beginStruct(8)
    w.field(1, bool: true)
    w.beginStruct(2)
    w.emptyStruct(2)
    w.endStruct()
    w.endStruct()
    w.endStruct()
    w.stop()
    #expect(
      w.bytes == [
        0x15, 0x04, 0x25, 0x02, 0x18, 0x02, 0x74, 0x73, 0x25, 0x14, 0x4c, 0x8c, 0x11, 0x1c, 0x2c, 0x00,
        0x00, 0x00, 0x00, 0x00,
      ])
  }

  @Test func integerLogicalTypeWritesBitWidthAsI8() {
    var w = ThriftCompactWriter()
    w.field(1, i32: 1)
    w.field(3, i32: 0)
    w.field(4, string: "status")
    w.field(6, i32: 16)
    w.beginStruct(10)
    w.beginStruct(10)
    w.field(1, i8: 16)
    w.field(2, bool: true)
    w.endStruct()
    w.endStruct()
    w.stop()
    #expect(
      w.bytes == [
        0x15, 0x02, 0x25, 0x00, 0x18, 0x06, 0x73, 0x74, 0x61, 0x74, 0x75, 0x73, 0x25, 0x20, 0x4c, 0xac,
        0x13, 0x10, 0x11, 0x00, 0x00, 0x00,
      ])
  }

  @Test func statisticsMatchPyarrow() {
    var s = ColumnStatistics()
    s.nullCount = 0
    s.maxValue = Array("b".utf8)
    s.minValue = Array("a".utf8)
    var w = ThriftCompactWriter()
    s.write(into: &w, fieldId: 1)
    // Strip the enclosing field header (0x1c) to compare the struct body.
    #expect(Array(w.bytes.dropFirst()) == [0x36, 0x00, 0x28, 0x01, 0x62, 0x18, 0x01, 0x61, 0x11, 0x11, 0x00])
  }

  @Test func longFormFieldHeaderForLargeDelta() {
    var w = ThriftCompactWriter()
    w.field(1, i32: 0)
    w.field(17, i32: 5)
    #expect(w.bytes == [0x15, 0x00, 0x05, 0x22, 0x0a])
  }

  @Test func listHeaderSwitchesToLongFormAtFifteen() {
    var w = ThriftCompactWriter()
    w.field(1, i32List: Array(repeating: 0, count: 15))
    #expect(Array(w.bytes.prefix(3)) == [0x19, 0xF5, 0x0F])
  }
}
