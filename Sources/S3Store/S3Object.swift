/// One object as a listing names it.
public struct S3Object: Sendable, Equatable {
  public var bucket: String
  public var key: String
  public var size: Int64
  /// The ETag as S3 quotes it; a GET sends it back in `If-Match`, so a rewritten object is told.
  public var etag: String
  public var lastModifiedNanos: Int64

  public init(bucket: String, key: String, size: Int64, etag: String, lastModifiedNanos: Int64) {
    self.bucket = bucket
    self.key = key
    self.size = size
    self.etag = etag
    self.lastModifiedNanos = lastModifiedNanos
  }

  /// `s3://bucket/key`: the object's name in rows, messages and the manifest.
  public var url: String { "s3://\(bucket)/\(key)" }
}

/// One page of ListObjectsV2.
public struct ListPage: Sendable {
  public var objects: [S3Object] = []
  /// Common prefixes (with a delimiter): the "directories" one level down.
  public var prefixes: [String] = []
  public var nextToken: String?
}
