import Foundation
import S3Store

/// Where the local copy of an S3 output lives by default: one directory per bucket and prefix
/// under the user's cache, so reruns and readers on the same machine share it.
enum S3Cache {
  static func directory(for url: S3URL) -> String {
    let env = ProcessInfo.processInfo.environment
    let base = env["XDG_CACHE_HOME"] ?? ((env["HOME"] ?? NSTemporaryDirectory()) + "/.cache")
    let prefix = url.key.split(separator: "/").joined(separator: "/")
    return "\(base)/sigtrail/s3/\(url.bucket)" + (prefix.isEmpty ? "" : "/" + prefix)
  }

  /// Where readers keep what they fetched of an S3 output: the manifest and sparse parts, apart
  /// from the staging copy (whose parts `index` needs whole).
  static func readerDirectory(for url: S3URL) -> String {
    let env = ProcessInfo.processInfo.environment
    let base = env["XDG_CACHE_HOME"] ?? ((env["HOME"] ?? NSTemporaryDirectory()) + "/.cache")
    let prefix = url.key.split(separator: "/").joined(separator: "/")
    return "\(base)/sigtrail/s3-read/\(url.bucket)" + (prefix.isEmpty ? "" : "/" + prefix)
  }
}
