import LogBytes
import Testing

@testable import S3Store

@Test func listingXMLIsDecoded() {
  let xml = """
    <?xml version="1.0" encoding="UTF-8"?>
    <ListBucketResult><Name>b</Name><EncodingType>url</EncodingType><IsTruncated>true</IsTruncated>
    <Contents><Key>dt%3D2026-12-04/a+b%2Bc%C3%A9</Key><LastModified>2026-12-04T07:10:00.000Z</LastModified>
    <ETag>&quot;abc&quot;</ETag><Size>42</Size></Contents>
    <CommonPrefixes><Prefix>AWSLogs/2026/</Prefix></CommonPrefixes>
    <NextContinuationToken>1x&amp;y</NextContinuationToken></ListBucketResult>
    """
  let page = S3Client.parseList(xml[...], bucket: "b")
  #expect(page.objects.count == 1)
  #expect(page.objects[0].key == "dt=2026-12-04/a b+cé")
  #expect(page.objects[0].etag == "\"abc\"")
  #expect(page.objects[0].size == 42)
  #expect(page.objects[0].lastModifiedNanos == 1_796_368_200_000_000_000)
  #expect(page.prefixes == ["AWSLogs/2026/"])
  #expect(page.nextToken == "1x&y")
}

@Test func configFilesAsTheCLIReadsThem() {
  let config = """
    [default]
    region = eu-west-1
    [profile ir]
    role_arn = arn:aws:iam::1:role/ir
    source_profile = default
    s3 =
      addressing_style = path
    [sso-session corp]
    sso_region = us-east-1
    """
  let parsed = AWSConfigFiles.parse(config, isConfig: true)
  #expect(parsed["default"]?["region"] == "eu-west-1")
  #expect(parsed["ir"]?["role_arn"] == "arn:aws:iam::1:role/ir")
  #expect(parsed["ir"]?["s3.addressing_style"] == "path")
  #expect(parsed["corp"] == nil && parsed["sso-session corp"] == nil)
  let creds = AWSConfigFiles.parse("[ir]\naws_access_key_id=AKIA1\n# comment\n", isConfig: false)
  #expect(creds["ir"]?["aws_access_key_id"] == "AKIA1")
}

@Test func datePrefixesBecomeDaySpans() {
  let d = { (y: Int, m: Int, day: Int) in TimeParser.daysFromCivil(year: y, month: m, day: day) }
  #expect(S3Lister.daySpan("AWSLogs/1/CloudTrail/us-east-1/2026/12/04/") == d(2026, 12, 4)...d(2026, 12, 4))
  #expect(S3Lister.daySpan("AWSLogs/1/CloudTrail/us-east-1/2026/02/") == d(2026, 2, 1)...d(2026, 2, 28))
  #expect(S3Lister.daySpan("AWSLogs/1/CloudTrail/us-east-1/2026/") == d(2026, 1, 1)...d(2026, 12, 31))
  #expect(S3Lister.daySpan("AWSLogs/123456789012/") == nil)
  #expect(S3Lister.daySpan("logs/us-east-1/") == nil)
}

@Test func endpointsAndAddressing() throws {
  let local = try Endpoint("http://127.0.0.1:5000/")
  #expect(local.hostHeader == "127.0.0.1:5000" && local.isAddress)
  #expect(try Endpoint("https://s3.example.com:443").hostHeader == "s3.example.com")
  #expect(throws: S3Error.self) { try Endpoint("s3.example.com") }
  let aws = S3Addressing(endpoint: nil, forcePathStyle: false)
  #expect(aws.locate(bucket: "logs", region: "eu-west-1").endpoint.host == "logs.s3.eu-west-1.amazonaws.com")
  #expect(aws.locate(bucket: "my.logs", region: "eu-west-1").pathPrefix == "/my.logs")
  #expect(S3Addressing(endpoint: local, forcePathStyle: false).locate(bucket: "b", region: "x").pathPrefix == "/b")
}

@Test func largeObjectsAreCutIntoRanges() {
  #expect(ObjectPrefetcher.parts(of: 0, partBytes: 8).isEmpty)
  #expect(ObjectPrefetcher.parts(of: 16, partBytes: 8) == [nil])
  #expect(ObjectPrefetcher.parts(of: 20, partBytes: 8) == [0..<8, 8..<16, 16..<20])
}
