/// An `s3://bucket/key-or-prefix` address.
public struct S3URL: Sendable, Hashable, CustomStringConvertible {
  public var bucket: String
  /// Key or prefix, without the leading `/`; empty for the whole bucket.
  public var key: String

  public init(bucket: String, key: String) {
    self.bucket = bucket
    self.key = key
  }

  /// Parses `s3://bucket[/key]`; nil for anything else.
  public init?(_ text: String) {
    guard text.hasPrefix("s3://") else { return nil }
    let rest = text.dropFirst(5)
    let bucket = rest.prefix { $0 != "/" }
    guard !bucket.isEmpty else { return nil }
    self.bucket = String(bucket)
    self.key = String(rest.dropFirst(bucket.count + (rest.count > bucket.count ? 1 : 0)))
  }

  public static func isS3(_ text: String) -> Bool { text.hasPrefix("s3://") }

  public var description: String { "s3://\(bucket)/\(key)" }
}
