import Testing

@testable import S3Store

@Test func parsesBucketAndKey() {
  #expect(S3URL("s3://b/a/b.log") == S3URL(bucket: "b", key: "a/b.log"))
  #expect(S3URL("s3://b") == S3URL(bucket: "b", key: ""))
  #expect(S3URL("s3://b/") == S3URL(bucket: "b", key: ""))
  #expect(S3URL("s3:///k") == nil)
  #expect(S3URL("/tmp/x") == nil)
}
