import Parquet
import Synchronization

/// Files already opened (mapped, footer decoded), for a run of several scans over the same
/// files: a hunt reads the CloudTrail table three or four times, and decoding every footer again
/// each time was a twentieth of it. `loader`, when given, says how to bring the bytes of a file
/// that is not all there (the sparse local copy of an `s3://` part).
public final class ParquetFileCache: Sendable {
  private let files = Mutex<[String: ParquetFile]>([:])
  private let loader: (@Sendable (String) -> ByteRangeLoader?)?

  public init(loader: (@Sendable (String) -> ByteRangeLoader?)? = nil) { self.loader = loader }

  public func open(_ path: String) throws(ParquetError) -> ParquetFile {
    if let known = files.withLock({ $0[path] }) { return known }
    let file = try ParquetFile(path: path, loader: loader?(path))
    files.withLock { $0[path] = file }
    return file
  }
}
