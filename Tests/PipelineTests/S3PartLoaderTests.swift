import Testing

@testable import Pipeline

/// The bookkeeping of a sparse part: which byte ranges it holds and which a read still needs.
@Suite struct S3PartLoaderTests {
  @Test func rangesMergeAndGapsAreFound() {
    let held = S3PartLoader.merged([10..<20, 0..<5, 18..<30, 40..<50, 5..<6])
    #expect(held == [0..<6, 10..<30, 40..<50])
    #expect(S3PartLoader.missing(0..<60, in: held) == [6..<10, 30..<40, 50..<60])
    #expect(S3PartLoader.missing(12..<25, in: held).isEmpty)
    #expect(S3PartLoader.missing(25..<45, in: held) == [30..<40])
    #expect(S3PartLoader.missing(55..<60, in: []) == [55..<60])
  }

  @Test func theSidecarSitsBesideThePartHidden() {
    #expect(
      S3OutputReader.rangesPath("/c/s3_access/dt=2024-03-01/p.parquet")
        == "/c/s3_access/dt=2024-03-01/.p.parquet.ranges")
  }
}
