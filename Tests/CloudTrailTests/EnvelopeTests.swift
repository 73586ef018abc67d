import LogBytes
import Testing

@testable import CloudTrail

/// An EventBridge envelope's `time`, `region` and `account` stand in for what its `detail` lacks.
@Suite struct EnvelopeTests {
  static func read(_ text: String) -> [(time: Int64?, region: String?, account: String?, fields: String?)] {
    var out: [(Int64?, String?, String?, String?)] = []
    Array(text.utf8).withUnsafeBytes { b in
      let document = CloudTrailDocument(b)
      _ = document.scan(
        onRecord: { value, envelope in
          var r = CloudTrailRecord()
          try? CloudTrailRecordReader.read(value, scanner: document.scanner, into: &r)
          CloudTrailRecordReader.applyEnvelope(envelope, scanner: document.scanner, to: &r)
          out.append(
            (
              r.eventTimeMicros, JSONStrings.string(r.awsRegion, in: b),
              JSONStrings.string(r.recipientAccountID, in: b),
              EnvelopeField.names(r.envelopeFields)
            ))
        }, onReject: { _, _ in })
    }
    return out
  }

  @Test func envelopeFillsOnlyWhatDetailLacks() {
    let lacking =
      #"{"detail-type":"AWS API Call via CloudTrail","account":"111122223333","time":"2024-03-01T05:23:00Z","#
      + #""region":"eu-west-1","detail":{"eventName":"GetObject"}}"#
    let r = Self.read(lacking)
    #expect(r.count == 1)
    #expect(r[0].time == 1_709_270_580_000_000)
    #expect(r[0].region == "eu-west-1" && r[0].account == "111122223333")
    #expect(r[0].fields == "time,region,account")
    let complete =
      #"{"detail-type":"x","account":"1","time":"2024-03-01T05:23:00Z","region":"eu-west-1","#
      + #""detail":{"eventName":"GetObject","eventTime":"2024-03-01T05:20:00Z","awsRegion":"us-east-1","#
      + #""recipientAccountId":"2"}}"#
    let c = Self.read(complete)
    #expect(c[0].time == 1_709_270_400_000_000 && c[0].region == "us-east-1" && c[0].account == "2")
    #expect(c[0].fields == nil)
  }

  @Test func noTimeAnywhereStaysWithoutTime() {
    let r = Self.read(#"{"detail-type":"x","detail":{"eventName":"GetObject"}}"#)
    #expect(r[0].time == nil && r[0].fields == nil)
    // A record outside any envelope gets nothing from one.
    #expect(Self.read(#"{"Records":[{"eventName":"A"}]}"#)[0].fields == nil)
  }
}
