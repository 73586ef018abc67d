import LogBytes
import Testing

@testable import CloudTrail

@Suite struct CloudTrailDocumentTests {
  struct Scan {
    var records: [String] = []
    var rejections: [(Int, String)] = []
    var outcome: CloudTrailDocument.Outcome = .records
  }

  static func scan(_ text: String) -> Scan {
    var s = Scan()
    Array(text.utf8).withUnsafeBytes { b in
      s.outcome = CloudTrailDocument(b).scan(
        onRecord: { v in
          s.records.append(JSONStrings.string(JSONScanner(b).member("eventName", of: v), in: b) ?? "?")
        },
        onReject: { offset, r in s.rejections.append((offset, r.code)) })
    }
    return s
  }

  @Test func everyShapeYieldsItsRecords() {
    #expect(Self.scan(#"{"Records":[{"eventName":"A"},{"eventName":"B"}]}"#).records == ["A", "B"])
    #expect(Self.scan("[{\"eventName\":\"A\"},\n {\"eventName\":\"B\"}]").records == ["A", "B"])
    #expect(Self.scan("{\"eventName\":\"A\"}\n{\"eventName\":\"B\"}\n").records == ["A", "B"])
    let bridge =
      #"{"version":"0","detail-type":"AWS API Call via CloudTrail","detail":{"eventName":"PutObject"}}"#
    #expect(Self.scan(bridge + "\n" + bridge).records == ["PutObject", "PutObject"])
    #expect(Self.scan("[" + bridge + "]").records == ["PutObject"])
    #expect(Self.scan(#"{"Records":[]}"#).records == [])
  }

  @Test func digestIsNotALog() {
    let s = Self.scan(#"{"awsAccountId":"1","digestStartTime":"2024-01-01T00:00:00Z","logFiles":[]}"#)
    #expect(s.records.isEmpty)
    #expect(s.outcome == .notALog("CloudTrail digest file (log validation), not events"))
  }

  @Test func truncatedRecordsFileKeepsTheRecordsBeforeTheCut() {
    let text = #"{"Records":[{"eventName":"A"},{"eventName":"B"},{"eventName":"C"#
    let s = Self.scan(text)
    #expect(s.records == ["A", "B"])
    #expect(s.rejections.count == 1)
    #expect(s.rejections.first?.1 == "malformed_json")
    #expect(s.rejections.first?.0 == text.utf8.count - #"{"eventName":"C"#.utf8.count)
  }

  @Test func jsonLinesResumeAfterABrokenLine() {
    let s = Self.scan("{\"eventName\":\"A\"}\n{\"eventName\":\n{\"eventName\":\"C\"}\n[1]\n\"x\"")
    #expect(s.records == ["A", "C"])
    #expect(s.rejections.map(\.1) == ["malformed_json", "not_a_record", "malformed_json"])
    #expect(s.rejections.first?.0 == 18)
  }

  @Test func nonRecordsAreRejectedNotDropped() {
    let s = Self.scan(#"{"Records":[1,{"eventName":"A"},"x"]}"#)
    #expect(s.records == ["A"])
    #expect(s.rejections.map(\.1) == ["not_a_record", "not_a_record"])
    #expect(Self.scan(#"{"foo":1}"#).rejections.map(\.1) == ["not_a_record"])
  }
}

@Suite struct CloudTrailRecordReaderTests {
  static let record = #"""
    {"eventVersion":"1.08","userIdentity":{"type":"AssumedRole","principalId":"AROAX:i-0317f6c6b66ae9c40",
    "arn":"arn:aws:sts::1:assumed-role/r/i-0317f6c6b66ae9c40","accountId":"1","accessKeyId":"ASIA5FLZVX4OPVKKVBMX",
    "sessionContext":{"sessionIssuer":{"type":"Role","arn":"arn:aws:iam::1:role/r","userName":"r"},
    "attributes":{"creationDate":"20200914T004830Z","mfaAuthenticated":"false"},"ec2RoleDelivery":"1.0"}},
    "eventTime":"2020-09-14T01:10:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject",
    "requestParameters":{"bucketName":"b","key":"k","x-amz-date":"20200914T010000Z","X-Amz-Expires":"300",
    "X-Amz-Security-Token":"SECRET"},"responseElements":null,
    "additionalEventData":{"AuthenticationMethod":"QueryString","SignatureVersion":"SigV4",
    "bytesTransferredIn":0.0,"bytesTransferredOut":7759},"readOnly":"true","managementEvent":false,
    "tlsDetails":{"tlsVersion":"TLSv1.2"}}
    """#

  /// One record value serves record after record: instance ids of one never reach the next.
  @Test func targetInstanceIDsDoNotCarryOverFromRecordToRecord() throws {
    func stop(_ ids: [String]) -> String {
      let items = ids.map { #"{"instanceId":"\#($0)"}"# }.joined(separator: ",")
      return #"{"eventTime":"2024-03-01T00:00:00Z","eventName":"StopInstances","requestParameters":"#
        + #"{"instancesSet":{"items":[\#(items)]}}}"#
    }
    var r = CloudTrailRecord()
    for ids in [["i-1", "i-2", "i-3"], [], ["i-4"], ["i-5", "i-6"]] {
      let bytes = Array(stop(ids).utf8)
      try bytes.withUnsafeBytes { b in
        let s = JSONScanner(b)
        let (v, _) = try s.value(at: 0)
        try CloudTrailRecordReader.read(v, scanner: s, into: &r)
        #expect(r.targetInstanceIDs.map { JSONStrings.string($0, in: b) } == ids)
      }
    }
  }

  /// In every shape a record comes in, it is handed out on the document scanner's tape (walked
  /// without rescanning its text), and reads exactly as a scanner that scans the text reads it.
  @Test func recordsOfEveryShapeAreWalkedByTheTape() throws {
    let bridge = #"{"version":"0","detail-type":"AWS API Call via CloudTrail","detail":\#(Self.record)}"#
    let shapes = [
      #"{"Records":[\#(Self.record),\#(Self.record)]}"#, "[\(Self.record),\(Self.record)]",
      Self.record + "\n" + Self.record, bridge + "\n" + bridge, "[\(bridge)]",
    ]
    for text in shapes {
      try Array(text.utf8).withUnsafeBytes { b in
        let document = CloudTrailDocument(b)
        var records = 0
        var failure: JSONError?
        _ = document.scan(
          onRecord: { v in
            records += 1
            #expect(v.slot >= 0, "\(text)")
            var byTape = CloudTrailRecord()
            var byText = CloudTrailRecord()
            do throws(JSONError) {
              try CloudTrailRecordReader.read(v, scanner: document.scanner, into: &byTape)
              try CloudTrailRecordReader.read(v, scanner: JSONScanner(b), into: &byText)
            } catch { failure = error }
            #expect(byTape == byText)
            #expect(JSONStrings.string(byTape.objectKey, in: b) == "k")
          }, onReject: { _, r in Issue.record("\(r.explanation)") })
        if let failure { throw failure }
        #expect(records == (text.hasPrefix("[{\"version") ? 1 : 2))
      }
    }
  }

  @Test func readsTheFieldsWeKeep() throws {
    let bytes = Array(Self.record.utf8)
    try bytes.withUnsafeBytes { b in
      let s = JSONScanner(b)
      let (v, _) = try s.value(at: 0)
      var r = CloudTrailRecord()
      try CloudTrailRecordReader.read(v, scanner: s, into: &r)
      func str(_ x: JSONValue) -> String? { JSONStrings.string(x, in: b) }
      #expect(r.eventTimeMicros == 1_600_045_800_000_000)
      #expect(str(r.eventName) == "GetObject")
      #expect(str(r.accessKeyID) == "ASIA5FLZVX4OPVKKVBMX")
      #expect(str(r.sessionIssuerARN) == "arn:aws:iam::1:role/r")
      #expect(r.sessionCreatedMicros == 1_600_044_510_000_000)
      #expect(r.mfaAuthenticated == false)
      #expect(str(r.ec2RoleDelivery) == "1.0")
      #expect(str(r.bucketName) == "b" && str(r.objectKey) == "k")
      #expect(str(r.amzDate) == "20200914T010000Z" && str(r.amzExpires) == "300")
      #expect(str(r.authenticationMethod) == "QueryString")
      #expect(r.bytesIn == 0 && r.bytesOut == 7759)
      #expect(r.readOnly == true && r.managementEvent == false)
      #expect(str(r.tlsVersion) == "TLSv1.2")
      #expect(r.responseElements.kind == .null)

      var redactor = JSONRedactor()
      var out: [UInt8] = []
      redactor.append(r.requestParameters, scanner: s, to: &out)
      let text = String(decoding: out, as: UTF8.self)
      #expect(!text.contains("SECRET"))
      #expect(text.contains(#""X-Amz-Security-Token":"sha256:"#))
      #expect(text.hasPrefix(#"{"bucketName":"b","key":"k","#))
    }
  }
}

@Suite struct CloudTrailTimeTests {
  static func t(_ s: String) -> Int64? { Array(s.utf8).withUnsafeBytes { TimeParser.parseAnyTime($0) } }

  @Test func everyFormCloudTrailWrites() {
    let base: Int64 = 1_600_068_627_000_000  // 2020-09-14T07:30:27Z
    #expect(Self.t("2020-09-14T07:30:27Z") == base)
    #expect(Self.t("2020-09-14T07:30:27.138Z") == base + 138_000)
    #expect(Self.t("2020-09-14T09:30:27+02:00") == base)
    #expect(Self.t("2020-09-14T07:30:27") == base)
    #expect(Self.t("20200914T073027Z") == base)
    #expect(Self.t("Sep 14, 2020, 7:30:27 AM") == base)
    #expect(Self.t("Sep 14, 2020 7:30:27 AM") == base)
    #expect(Self.t("Sep 14, 2020, 7:30:27 PM") == base + 12 * 3_600_000_000)
    #expect(Self.t("Sep 14, 2020, 12:30:27 AM") == base - 7 * 3_600_000_000)
    for bad in ["", "Sep 31, 2020, 7:30:27 AM", "2020-02-30T00:00:00Z", "yesterday", "2020-09-14T07:30:27Q"] {
      #expect(Self.t(bad) == nil, "\(bad)")
    }
  }
}
