import Dispatch

#if canImport(Glibc)
  import Glibc
#endif

/// Makes written parts durable and visible off the writing thread: for each part, in order,
/// fsync its file, rename it from its hidden temporary name into place, fsync its directory.
///
/// These waits are the disk's, not the processor's: done in line, they idled a worker for 9% of
/// a CloudTrail run (186 small parts, each with two fsyncs) and 2% of an access-log run. Here
/// they overlap the next part's work. The guarantee is the same as in line, only later: a part
/// is renamed only once its bytes are on disk, and `settle()` returns only when every rename is
/// durable, which is what the manifest commit that follows needs. A part whose fsync or rename
/// fails is removed and never becomes visible; `settle()` throws the first failure.
final class PartPublisher: @unchecked Sendable {
  // Unchecked Sendable: `failure` is touched only on `queue`.
  private let queue = DispatchQueue(label: "sigtrail.part-publisher")
  private var failure: ShardError?

  /// Queues `temporaryPath` (complete, closed, not yet synced) to become `finalPath` in
  /// `directory`.
  func publish(temporaryPath: String, finalPath: String, directory: String) {
    queue.async {
      do {
        try PartitionLayout.syncFile(temporaryPath)
        guard rename(temporaryPath, finalPath) == 0 else {
          throw ShardError("cannot rename \(temporaryPath) to \(finalPath): \(String(cString: strerror(errno)))")
        }
        try PartitionLayout.syncDirectory(directory)
      } catch {
        unlink(temporaryPath)
        if self.failure == nil { self.failure = error as? ShardError ?? ShardError("\(error)") }
      }
    }
  }

  /// Waits until every part queued so far is durable in place; throws the first failure since
  /// the last call.
  func settle() throws {
    let failure = queue.sync {
      defer { self.failure = nil }
      return self.failure
    }
    if let failure { throw failure }
  }
}
