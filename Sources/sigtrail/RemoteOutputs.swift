import Foundation
import Parquet
import Pipeline
import Query
import S3Store
import Synchronization

/// The `s3://` outputs one command reads, in place (see `S3OutputReader`): one S3 session for the
/// command, and `files`, which opens their parts with a loader that fetches what a scan touches.
/// Local outputs pass through.
final class RemoteOutputs: Sendable {
  private final class Readers: Sendable {
    let list = Mutex<[S3OutputReader]>([])
    func loader(for path: String) -> ByteRangeLoader? {
      list.withLock { readers in readers.lazy.compactMap { $0.loader(for: path) }.first }
    }
  }

  private let readers: Readers
  private let session = Mutex<S3Session?>(nil)
  /// The files of every scan of the command: opened once, loaded on demand when remote.
  let files: ParquetFileCache

  init() {
    let readers = Readers()
    self.readers = readers
    files = ParquetFileCache(loader: { readers.loader(for: $0) })
  }

  /// Where `path` is read: itself, or for an `s3://` output its reader copy, brought up to date
  /// with the output's manifest first.
  func directory(for path: String) throws -> String {
    guard let url = S3URL(path) else { return path }
    let client = try session.withLock { session in
      if session == nil {
        session = try S3Session(settings: S3Settings(environment: ProcessInfo.processInfo.environment))
      }
      return session!.client
    }
    let reader = S3OutputReader(
      output: S3Output(url: url, staging: S3Cache.readerDirectory(for: url), client: client),
      wholeCopy: S3Cache.directory(for: url))
    do {
      _ = try reader.refresh()
    } catch {
      throw SourceError("\(path): cannot read its manifest into \(reader.directory): \(error)")
    }
    readers.list.withLock { list in
      if !list.contains(where: { $0.directory == reader.directory }) { list.append(reader) }
    }
    return reader.directory
  }

  func shutdown() { session.withLock { $0?.shutdown() } }
}
