import Parquet
import Synchronization

/// Files already opened (mapped, footer decoded), for a run of several scans over the same
/// files: a hunt reads the CloudTrail table three or four times, and decoding every footer again
/// each time was a twentieth of it.
public final class ParquetFileCache: Sendable {
  private let files = Mutex<[String: ParquetFile]>([:])

  public init() {}

  func open(_ path: String) throws(ParquetError) -> ParquetFile {
    if let known = files.withLock({ $0[path] }) { return known }
    let file = try ParquetFile(path: path)
    files.withLock { $0[path] = file }
    return file
  }
}
