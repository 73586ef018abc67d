import ArgumentParser
import Foundation
import S3Store

/// How `s3://` paths are reached, as the AWS CLI takes it; credentials come from the usual chain
/// (environment, `--profile` or `AWS_PROFILE`, web identity, container, instance metadata).
struct S3Options: ParsableArguments {
  @Option(help: ArgumentHelp("Named profile of ~/.aws/config and ~/.aws/credentials.", valueName: "name"))
  var profile: String?

  @Option(
    help: ArgumentHelp(
      "S3-compatible endpoint (also AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL); path-style addressing when it is an IP address or localhost.",
      valueName: "url"))
  var endpointURL: String?

  @Option(
    help: ArgumentHelp(
      "Region of the buckets (default: AWS_REGION, the profile, or us-east-1; a bucket elsewhere is followed).",
      valueName: "region"))
  var region: String?

  @Flag(help: "Put the bucket in the path (host/bucket/key) rather than the host name.")
  var pathStyle = false

  @Option(help: ArgumentHelp("GET requests in flight at once, for s3:// inputs.", valueName: "n"))
  var s3Concurrency = 32

  @Option(
    help: ArgumentHelp(
      "Most MiB of fetched objects held in memory, waiting to be indexed (and an eighth more of read buffers kept for reuse).",
      valueName: "MiB"))
  var s3BufferMib = 256

  @Option(
    help: ArgumentHelp(
      "With --out s3://: parts larger than this many MiB are uploaded as multipart uploads of this part size (5 or more).",
      valueName: "MiB"))
  var s3UploadPartMib = 64

  func validate() throws {
    guard s3UploadPartMib >= 5 else {
      throw ValidationError("--s3-upload-part-mib must be at least 5 (S3's smallest part)")
    }
    guard (1...1024).contains(s3Concurrency) else { throw ValidationError("--s3-concurrency must be 1...1024") }
    guard s3BufferMib >= 16 else { throw ValidationError("--s3-buffer-mib must be at least 16") }
  }

  var settings: S3Settings {
    var s = S3Settings(environment: ProcessInfo.processInfo.environment)
    s.profile = profile
    s.endpointURL = endpointURL
    s.region = region
    s.forcePathStyle = pathStyle
    s.concurrency = s3Concurrency
    return s
  }
}
