import AccessLog
import CloudTrail
import Foundation
import ShardSchema
import Testing

@testable import Shards

@Suite struct RequestLineTests {
  static func split(_ s: String) -> [String?] {
    let bytes = Array(s.utf8)
    return bytes.withUnsafeBytes { uri in
      let p = RequestLine.split(uri)
      return [p.method, p.path, p.query, p.protocolVersion].map { span in
        span.isNull ? nil : String(decoding: span.bytes(in: uri), as: UTF8.self)
      }
    }
  }

  @Test func splitsMethodPathQueryAndProtocol() {
    #expect(Self.split("GET /b/k.txt?versionId=3&x=1 HTTP/1.1") == ["GET", "/b/k.txt", "versionId=3&x=1", "HTTP/1.1"])
    #expect(Self.split("HEAD / HTTP/1.1") == ["HEAD", "/", nil, "HTTP/1.1"])
    #expect(Self.split("GET /k?") == ["GET", "/k", "", nil])
    #expect(Self.split("GET /\" HTTP/1.1") == ["GET", "/\"", nil, "HTTP/1.1"])
    #expect(Self.split("GET") == ["GET", nil, nil, nil])
    #expect(Self.split("") == [nil, nil, nil, nil])
  }
}

@Suite struct PartitionLayoutTests {
  @Test func daysAndDates() {
    #expect(PartitionLayout.dateString(day: 0) == "1970-01-01")
    #expect(PartitionLayout.dateString(day: 17933) == "2019-02-06")
    #expect(PartitionLayout.day(ofMicros: 1_549_411_238_000_000) == 17933)
    #expect(PartitionLayout.day(ofMicros: -1) == -1)
    #expect(PartitionLayout.dateString(day: -1) == "1969-12-31")
  }

  @Test func schemaHasStableIdsAndNames() {
    let columns = S3AccessSchema.schema.columns
    #expect(columns.count == S3AccessSchema.Column.allCases.count)
    #expect(columns.map(\.fieldId) == Array(1...Int32(columns.count)))
    #expect(columns[S3AccessSchema.Column.requestTime.rawValue].name == "request_time")
    #expect(columns[S3AccessSchema.Column.signatureSHA256.rawValue].name == "signature_sha256")
    #expect(columns[S3AccessSchema.Column.sourceOffset.rawValue].name == "source_offset")
    for c in columns {
      #expect(c.name == c.name.lowercased() && !c.name.contains(" "))
    }
  }
}

@Suite struct PartNameTests {
  @Test func runIDsAndLocksFollowFromPartNames() {
    #expect(PartitionLayout.runID(ofPart: "part-20260101T000000Z-42-w0-00001.parquet") == "20260101T000000Z-42")
    #expect(PartitionLayout.runID(ofPart: ".part-20260101T000000Z-42-w3-00007.parquet.tmp") == "20260101T000000Z-42")
    #expect(
      PartitionLayout.runID(ofPart: "part-20260101T000000Z-42-s1of3-w0-00001.parquet") == "20260101T000000Z-42-s1of3")
    #expect(PartitionLayout.runID(ofPart: "part-20260101T000000Z-42-r00001.parquet") == "20260101T000000Z-42")
    #expect(PartitionLayout.runID(ofPart: "part-20260101T000000Z-42-c00002.parquet") == "20260101T000000Z-42")
    #expect(PartitionLayout.runID(ofPart: "data.parquet") == nil)
    #expect(OutputLock.lockName(forRunID: "20260101T000000Z-42") == ".sigtrail.lock")
    #expect(OutputLock.lockName(forRunID: "20260101T000000Z-42-s1of3") == ".sigtrail-1of3.lock")
  }
}

@Suite struct CloudTrailBatchTests {
  /// A record that is all ASCII skips the per-value check; one that is not has each value made
  /// valid UTF-8 as before: a valid accent kept, invalid bytes replaced.
  @Test func textIsValidUTF8WhetherTheRecordIsASCIIOrNot() throws {
    let head = #"{"eventTime":"2024-03-01T00:00:0"#
    let records: [[UInt8]] = [
      Array((head + #"0Z","userAgent":"plain"}"#).utf8),
      Array((head + #"1Z","userAgent":"café"}"#).utf8),
      Array((head + #"2Z","userAgent":"bad"#).utf8) + [0xFF, 0xFE] + Array(#""}"#.utf8),
    ]
    var batch = CloudTrailBatch()
    for bytes in records {
      try bytes.withUnsafeBytes { b in
        let s = JSONScanner(b)
        let (v, _) = try s.value(at: 0)
        var r = CloudTrailRecord()
        try CloudTrailRecordReader.read(v, scanner: s, into: &r)
        let time = try #require(r.eventTimeMicros)
        withUnsafePointer(to: &r) { p in
          Array("f".utf8).withUnsafeBytes { batch.append(p, eventTime: time, scanner: s, sourceFile: $0, offset: 0) }
        }
      }
    }
    guard case .borrowedText(let view) = batch.columnInputs()[CloudTrailColumn.userAgent.rawValue] else {
      Issue.record("user_agent is not a text column")
      return
    }
    let values = (0..<3).map { view.value($0) }
    #expect(String(decoding: values[0], as: UTF8.self) == "plain")
    #expect(String(decoding: values[1], as: UTF8.self) == "café")
    #expect(String(validating: values[2], as: UTF8.self) != nil)
    #expect(String(decoding: values[2], as: UTF8.self).hasPrefix("bad"))
    #expect(Array(values[2]) != Array("bad".utf8) + [0xFF, 0xFE])
  }
}

@Suite struct PartPublisherTests {
  /// Parts queued for publishing are in place, under their final names, once `settle` returns;
  /// one that cannot be synced or renamed never appears, and `settle` says why, once.
  @Test func settledPartsAreInPlaceAndFailuresAreReported() throws {
    let directory = FileManager.default.temporaryDirectory.path + "/sigtrail-publisher-\(getpid())"
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let publisher = PartPublisher()
    for i in 0..<20 {
      let temporary = "\(directory)/.part-\(i).parquet.tmp"
      #expect(FileManager.default.createFile(atPath: temporary, contents: Data("part \(i)".utf8)))
      publisher.publish(temporaryPath: temporary, finalPath: "\(directory)/part-\(i).parquet", directory: directory)
    }
    try publisher.settle()
    let names = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
    #expect(names == (0..<20).map { "part-\($0).parquet" }.sorted())
    #expect(FileManager.default.contents(atPath: "\(directory)/part-7.parquet") == Data("part 7".utf8))

    publisher.publish(
      temporaryPath: "\(directory)/.missing.tmp", finalPath: "\(directory)/missing.parquet", directory: directory)
    #expect(throws: ShardError.self) { try publisher.settle() }
    #expect(!FileManager.default.fileExists(atPath: "\(directory)/missing.parquet"))
    try publisher.settle()
  }
}
