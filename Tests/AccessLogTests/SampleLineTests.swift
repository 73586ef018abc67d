import Testing

@testable import AccessLog

/// Real public S3 access log lines from `../shared/samples/`, with the values a reader expects.
@Suite(.enabled(if: SharedSamples.available, "../shared/samples is absent"))
struct SampleLineTests {
  @Test func everyGenuineLineParses() throws {
    let lines = try SharedSamples.load()
    let genuine = lines.filter(\.genuine)
    #expect(genuine.count >= 60)
    for line in genuine {
      let p = Parsed(line.text)
      #expect(
        p.rejection == nil, "rejected \(String(describing: p.rejection)): \(line.text.prefix(160)) [\(line.source)]")
      #expect(p.record.fieldCount >= 17 && p.record.fieldCount <= 28)
    }
  }

  @Test func currentDocsExampleHas27Fields() throws {
    let p = Parsed(
      try SharedSamples.line(
        containing:
          "amzn-s3-demo-bucket1 [06/Feb/2019:00:00:38 +0000] 192.0.2.3 79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be 3E57427F3EXAMPLE REST.GET.VERSIONING - \"GET /amzn-s3-demo-bucket1?versioning HTTP/1.1\" 200 - 113 - 7 - \"-\" \"S3Console/0.4\" - s9lz"
      ))
    #expect(p.rejection == nil)
    let r = p.record
    #expect(p.text(\.bucketOwner) == "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be")
    #expect(p.text(\.bucket) == "amzn-s3-demo-bucket1")
    #expect(r.requestTimeMicros == utcMicros(2019, 2, 6, 0, 0, 38))
    #expect(p.text(\.remoteIP) == "192.0.2.3")
    #expect(p.text(\.requestID) == "3E57427F3EXAMPLE")
    #expect(p.text(\.operation) == "REST.GET.VERSIONING")
    #expect(p.text(\.key) == nil)
    #expect(p.text(\.requestURI) == "GET /amzn-s3-demo-bucket1?versioning HTTP/1.1")
    #expect(r.httpStatus == 200)
    #expect(p.text(\.errorCode) == nil)
    #expect(r.bytesSent == 113)
    #expect(r.objectSize == nil)
    #expect(r.totalTimeMs == 7)
    #expect(r.turnAroundTimeMs == nil)
    #expect(p.text(\.referer) == nil)
    #expect(p.text(\.userAgent) == "S3Console/0.4")
    #expect(p.text(\.versionID) == nil)
    #expect(p.text(\.hostID) == "s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234=")
    #expect(p.text(\.signatureVersion) == "SigV4")
    #expect(p.text(\.cipherSuite) == "ECDHE-RSA-AES128-GCM-SHA256")
    #expect(p.text(\.authenticationType) == "AuthHeader")
    #expect(p.text(\.hostHeader) == "amzn-s3-demo-bucket1.s3.us-west-1.amazonaws.com")
    #expect(p.text(\.tlsVersion) == "TLSV1.2")
    #expect(p.text(\.accessPointARN) == "arn:aws:s3:us-west-1:123456789012:accesspoint/example-AP")
    #expect(r.aclRequired == true)
    #expect(p.text(\.sourceRegion) == "us-east-1")
    #expect(p.text(\.extraFields) == nil)
    #expect(r.fieldCount == 27)
  }

  @Test func trailingSpaceAndAclRequired() throws {
    let p = Parsed(
      try SharedSamples.line(containing: "A1206F460EXAMPLE REST.GET.BUCKETPOLICY - \"GET /DOC-EXAMPLE-BUCKET1?policy"))
    #expect(p.rejection == nil)
    #expect(p.record.httpStatus == 404)
    #expect(p.text(\.errorCode) == "NoSuchBucketPolicy")
    #expect(p.text(\.accessPointARN) == nil)
    #expect(p.record.aclRequired == true)
    #expect(p.text(\.sourceRegion) == nil)
    #expect(p.record.fieldCount == 26)
  }

  @Test func oldEighteenFieldFormat() throws {
    let p = Parsed(try SharedSamples.line(containing: "mybucket [06/Feb/2014:00:01:57 +0000]"))
    #expect(p.rejection == nil)
    #expect(p.record.fieldCount == 18)
    #expect(p.text(\.key) == "s3-dg.pdf")
    #expect(p.record.objectSize == 4_406_583)
    #expect(p.record.totalTimeMs == 41754)
    #expect(p.record.turnAroundTimeMs == 28)
    #expect(p.text(\.hostID) == nil)
    #expect(p.record.aclRequired == nil)
  }

  @Test func presignedConsolePutWithSessionToken() throws {
    let p = Parsed(try SharedSamples.line(containing: "4RDM0X7KAX9P6Y6Y"))
    #expect(p.rejection == nil)
    #expect(p.text(\.requester) == "arn:aws:sts::111222333444:assumed-role/MyAdminAccess/AMSPortalWebsite+P-username")
    #expect(p.text(\.operation) == "REST.PUT.OBJECT")
    #expect(p.text(\.requestURI)?.hasPrefix("PUT /testobject.rtf?X-Amz-Security-Token=IQoJb3JpZ2luX2VjECsa") == true)
    #expect(p.text(\.requestURI)?.hasSuffix("X-Amz-Signature=XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX HTTP/1.1") == true)
    #expect(p.text(\.referer) == "https://s3.console.aws.amazon.com/s3/upload/testloggingbucket123?region=us-east-1")
    #expect(p.text(\.authenticationType) == "QueryString")
    #expect(p.text(\.tlsVersion) == "TLSv1.2")
    #expect(p.record.fieldCount == 24)
  }

  @Test func copyGetWithBareDashes() throws {
    let p = Parsed(try SharedSamples.line(containing: "71F7D2AAA93B0A05"))
    #expect(p.rejection == nil)
    #expect(p.text(\.operation) == "REST.COPY.OBJECT_GET")
    #expect(p.text(\.requestURI) == nil)
    #expect(p.record.httpStatus == 200)
    #expect(p.record.bytesSent == nil)
    #expect(p.record.objectSize == 13_538_337)
    #expect(p.text(\.referer) == nil)
    #expect(p.text(\.userAgent) == nil)
    #expect(p.record.fieldCount == 18)
  }

  @Test func rawQuotesInUserAgentAndRequestURI() throws {
    let ua = Parsed(try SharedSamples.line(containing: "5PCGX9WKFQMJH6FB"))
    #expect(ua.rejection == nil)
    #expect(ua.text(\.userAgent)?.hasPrefix("\"Mozilla/5.0 (Windows NT 10.0") == true)
    #expect(ua.text(\.userAgent)?.hasSuffix("Safari/537.36") == true)
    #expect(ua.record.objectSize == 422_868_123_111)
    #expect(ua.record.fieldCount == 26)

    let scan = Parsed(try SharedSamples.line(containing: "MJH1XJ8DHPSZFND7"))
    #expect(scan.rejection == nil)
    let uri = scan.text(\.requestURI) ?? ""
    #expect(uri.hasPrefix("GET //?s=index/\\think\\template"))
    #expect(uri.contains("$password%20=%20\"xinba\";"))
    #expect(uri.hasSuffix("?> HTTP/1.1"))
    #expect(scan.record.httpStatus == 404)
    #expect(scan.text(\.errorCode) == "NoSuchKey")
    #expect(scan.text(\.referer)?.hasPrefix("https://dandiarchive.s3.amazonaws.com//?s=index") == true)
    #expect(scan.text(\.referer)?.contains("\"xinba\"") == true)
    #expect(
      scan.text(\.userAgent) == "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)")
    #expect(scan.text(\.hostHeader) == "dandiarchive.s3.amazonaws.com")
  }

  @Test func tls13AndVersionId() throws {
    let p = Parsed(try SharedSamples.line(containing: "NWC7V1KE70QZYJ5Q"))
    #expect(p.text(\.versionID) == "yn5YAJiwT36Rv78jGYLM71GZumWL.QWn")
    #expect(p.text(\.signatureVersion) == nil)
    #expect(p.record.fieldCount == 25)
    let t = Parsed(try SharedSamples.line(containing: "FNA3VGASCWKR5MNR"))
    #expect(t.text(\.cipherSuite) == "TLS_AES_128_GCM_SHA256")
    #expect(t.text(\.tlsVersion) == "TLSv1.3")
    #expect(t.record.httpStatus == 304)
  }

  @Test func twoTokenHostID() throws {
    let p = Parsed(try SharedSamples.line(containing: "92D3B218463A63EA"))
    #expect(p.rejection == nil)
    #expect(
      p.text(\.hostID)
        == "AIDAISBTTLPGXGH6YFFAY LzYGhqEwXn5Xiuil9tI6JtK2PiIo+SC6Ute3Isq2qEmt/t0Z7qFkyD0mp1ZIc43bm0qSX4tBbbc=")
    #expect(p.text(\.signatureVersion) == "SigV4")
    #expect(p.text(\.cipherSuite) == "ECDHE-RSA-AES128-SHA")
    #expect(p.text(\.hostHeader) == "s3.amazonaws.com")
    #expect(p.text(\.tlsVersion) == "TLSv1.2")
    #expect(p.record.fieldCount == 24)
  }

  @Test func keysAreKeptAsLogged() throws {
    let star = Parsed(try SharedSamples.line(containing: "1B6E92A991321AE8"))
    #expect(star.text(\.key) == "SRR9154112/*.fastq*")
    #expect(star.text(\.requestURI) == "HEAD /SRR9154112/%2A.fastq%2A HTTP/1.1")
    let double = Parsed(try SharedSamples.line(containing: "8C244990662F952E"))
    #expect(double.text(\.key)?.contains("%253D") == true)
    #expect(double.text(\.operation) == "REST.PUT.PART")
  }

  @Test func logDeliveryAndLifecycleLines() throws {
    let delivery = Parsed(try SharedSamples.line(containing: "MVGXZXEVN3IG9S24"))
    #expect(delivery.rejection == nil)
    #expect(delivery.text(\.remoteIP) == nil)
    #expect(delivery.text(\.requester) == "svc:delivery.logs.amazonaws.com")
    #expect(delivery.record.fieldCount == 25)

    let expire = Parsed(try SharedSamples.line(containing: "366DB3C4B325AB11"))
    #expect(expire.rejection == nil)
    #expect(expire.text(\.requester) == "AmazonS3")
    #expect(expire.text(\.operation) == "S3.EXPIRE.OBJECT")
    #expect(expire.text(\.requestURI) == nil)
    #expect(expire.record.httpStatus == nil)
    #expect(expire.record.objectSize == 317)
    #expect(expire.text(\.versionID) == "qsEq9bDa2VyxyZ4cz0c7oBnF67VYTTij")
    #expect(expire.record.aclRequired == false)
    #expect(expire.record.fieldCount == 26)
  }

  @Test func batchDeleteKeyWithPlusSigns() throws {
    let p = Parsed(try SharedSamples.line(containing: "6CE38F1312D32BDD"))
    #expect(p.text(\.operation) == "BATCH.DELETE.OBJECT")
    #expect(p.text(\.key) == "Screen+Shot+2019-09-09+at+9.08.44+AM.png")
    #expect(p.record.httpStatus == 204)
    #expect(p.text(\.requestURI) == nil)
  }

  @Test func unknownTrailingFieldIsKept() throws {
    let p = Parsed(try SharedSamples.line(containing: "ExtraUnknownField"))
    #expect(p.rejection == nil)
    #expect(p.text(\.sourceRegion) == "us-east-1")
    #expect(p.text(\.extraFields) == "ExtraUnknownField")
    #expect(p.record.fieldCount == 28)
  }

  @Test func seventeenFieldsWithNonUTCOffset() throws {
    let p = Parsed(try SharedSamples.line(containing: "WEBSITE.GET.OBJECT index"))
    #expect(p.rejection == nil)
    #expect(p.record.fieldCount == 17)
    // 16:42:07 -0500 is 21:42:07 UTC.
    #expect(p.record.requestTimeMicros == utcMicros(2012, 2, 10, 21, 42, 7))
    #expect(p.text(\.userAgent)?.hasPrefix("Mozilla/5.0 (X11; Linux x86_64)") == true)
  }

  @Test func splicedRecordIsRejected() throws {
    let p = Parsed(try SharedSamples.line(containing: "rn:aws:iam::78397192219480"))
    #expect(p.rejection == .noRequestIDAfterRequester)
  }

  @Test func editedLinesParseOrRejectWithAReason() throws {
    for line in try SharedSamples.load() where !line.genuine {
      let p = Parsed(line.text)
      if let rejection = p.rejection {
        #expect(!rejection.explanation.isEmpty)
      } else {
        #expect(p.record.fieldCount >= 17)
      }
    }
    // The stray quote after a Referer stays inside the Referer rather than shifting fields.
    let stray = Parsed(try SharedSamples.line(containing: "recorder.php?id=452\"\""))
    #expect(stray.rejection == nil)
    #expect(stray.text(\.referer) == "http://kerkdienstgemist.nl/mp3/recorder.php?id=452\"")
    #expect(stray.text(\.userAgent) == "Mozilla/5.0 (compatible; MSIE 9.0; Windows NT 6.1; WOW64; Trident/5.0)")
  }
}
