import CLinux
import Dispatch
import NIOCore
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// Fetches objects ahead of the workers that index them, in the order they will be asked for:
/// up to `concurrency` GETs in flight, objects larger than `partBytes` as parallel ranged GETs,
/// each object into an anonymous in-memory file (a large one, past a quarter of the budget, into
/// an unlinked temporary file on disk) that the line reader reads like any local file.
/// Fetched-but-unread bytes stay under `budgetBytes` (one object larger than the budget is let in
/// alone), so memory is bounded whatever the object count and sizes. In-memory files are reused
/// once read (at most `reusedBytes`, and an eighth of the budget, wait idle): a fresh one's pages
/// were allocated, zeroed and freed again for every object, 0.5 CPU-seconds per GB fetched.
public final class ObjectPrefetcher: Sendable {
  public struct Options: Sendable {
    public var concurrency = 32
    public var budgetBytes: Int64 = 256 << 20
    public var partBytes: Int64 = 8 << 20
    /// Read in-memory files kept for the next objects, in bytes at most.
    public var reusedBytes: Int64 = 32 << 20
    /// Where objects too large for memory are spooled (unlinked at once).
    public var spoolDirectory = "/tmp"

    public init() {}
  }

  let client: S3Client
  let objects: [S3Object]
  let options: Options
  /// Position in `objects` of each caller's key (the file index of the run).
  let positions: [Int: Int]
  private let state = Mutex(State())
  private let condition = Condition()
  /// GET requests sent, retried and bytes received, for the run's summary.
  public let counters = Mutex((requests: 0, retries: 0, bytes: Int64(0)))

  struct Slot {
    var fd: Int32 = -1
    var error: S3Error?
    var partsLeft = 0
    var done = false
  }

  struct State {
    var slots: [Int: Slot] = [:]
    var heldBytes: Int64 = 0
    var budgetWaiter: CheckedContinuation<Void, Never>?
    var waitingFor: Int64 = 0
    var cancelled = false
    /// In-memory files read and released, with the bytes each holds, for the next objects.
    var idle: [(fd: Int32, bytes: Int64)] = []
    var idleBytes: Int64 = 0
  }

  /// `objects` keyed by the caller's index for each (the order of the dictionary's `order`).
  public init(client: S3Client, order: [(key: Int, object: S3Object)], options: Options) {
    self.client = client
    self.objects = order.map(\.object)
    self.options = options
    var positions: [Int: Int] = [:]
    for (i, entry) in order.enumerated() { positions[entry.key] = i }
    self.positions = positions
  }

  /// Starts fetching in the background.
  public func start() -> Task<Void, Never> {
    Task.detached { await self.run() }
  }

  func run() async {
    await withTaskGroup(of: Void.self) { group in
      var inFlight = 0
      for (position, object) in objects.enumerated() {
        await admit(object.size)
        if state.withLock({ $0.cancelled }) { break }
        let parts = Self.parts(of: object.size, partBytes: options.partBytes)
        let fd = openSpool(size: object.size)
        state.withLock { s in
          s.slots[position] = Slot(fd: fd, partsLeft: parts.count)
        }
        if fd < 0 {
          finishPart(
            position, error: .config("\(object.url): cannot allocate a buffer: \(String(cString: strerror(errno)))"))
          continue
        }
        if parts.isEmpty {
          finishPart(position, error: nil, last: true)
          continue
        }
        for part in parts {
          if inFlight >= options.concurrency {
            await group.next()
            inFlight -= 1
          }
          inFlight += 1
          group.addTask { await self.fetch(position, object, part, fd: fd) }
        }
      }
    }
  }

  static func parts(of size: Int64, partBytes: Int64) -> [Range<Int64>?] {
    if size == 0 { return [] }
    if size <= partBytes * 2 { return [nil] }
    return stride(from: Int64(0), to: size, by: Int(partBytes)).map { $0..<min(size, $0 + partBytes) }
  }

  /// Whether an object of `size` bytes is fetched into memory (else spooled to disk).
  func inMemory(_ size: Int64) -> Bool { size <= options.budgetBytes / 4 }

  func openSpool(size: Int64) -> Int32 {
    guard inMemory(size) else { return sigtrail_tmpfile(options.spoolDirectory) }
    while let reused = state.withLock({ s -> (fd: Int32, bytes: Int64)? in
      guard let last = s.idle.popLast() else { return nil }
      s.idleBytes -= last.bytes
      return last
    }) {
      // Cut to the new size (the reader takes the file's size for the object's); pages below it
      // are kept and written over.
      if ftruncate(reused.fd, off_t(size)) == 0 { return reused.fd }
      close(reused.fd)
    }
    return sigtrail_memfd("sigtrail-s3")
  }

  func fetch(_ position: Int, _ object: S3Object, _ range: Range<Int64>?, fd: Int32) async {
    counters.withLock { $0.requests += 1 }
    do {
      try await client.read(object, range: range) { offset, buffer in
        try buffer.withUnsafeReadableBytes { raw in
          var done = 0
          while done < raw.count {
            let n = pwrite(fd, raw.baseAddress! + done, raw.count - done, off_t(offset) + off_t(done))
            if n < 0 {
              if errno == EINTR { continue }
              throw S3Error.config("\(object.url): cannot buffer the object: \(String(cString: strerror(errno)))")
            }
            done += n
          }
        }
        counters.withLock { $0.bytes += Int64(buffer.readableBytes) }
      }
      finishPart(position, error: nil)
    } catch let error as S3Error {
      finishPart(position, error: error)
    } catch {
      finishPart(position, error: .transport(url: object.url, reason: "\(error)", attempts: 1))
    }
  }

  private func finishPart(_ position: Int, error: S3Error?, last: Bool = false) {
    condition.lock()
    state.withLock { s in
      guard var slot = s.slots[position] else { return }
      if let error, slot.error == nil { slot.error = error }
      slot.partsLeft -= 1
      if slot.partsLeft <= 0 || last { slot.done = true }
      s.slots[position] = slot
    }
    condition.broadcast()
    condition.unlock()
  }

  /// Waits until `size` more bytes fit the budget (or nothing is held), then holds them.
  private func admit(_ size: Int64) async {
    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
      let resumeNow = state.withLock { s -> Bool in
        if s.cancelled || s.heldBytes == 0 || s.heldBytes + size <= options.budgetBytes {
          s.heldBytes += size
          return true
        }
        s.budgetWaiter = continuation
        s.waitingFor = size
        return false
      }
      if resumeNow { continuation.resume() }
    }
  }

  /// Blocks until the object given `key` is fetched: an open file holding its bytes (read it,
  /// then `release`), or why it could not be fetched.
  public func take(_ key: Int) -> Result<Int32, S3Error> {
    guard let position = positions[key] else { return .failure(.config("object \(key) was not planned")) }
    condition.lock()
    defer { condition.unlock() }
    while true {
      let slot = state.withLock { $0.slots[position] }
      if let slot, slot.done {
        if let error = slot.error { return .failure(error) }
        return .success(slot.fd)
      }
      condition.wait()
    }
  }

  /// Frees the object's buffer and its share of the budget.
  public func release(_ key: Int) {
    guard let position = positions[key] else { return }
    let size = objects[position].size
    let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
      if let slot = s.slots.removeValue(forKey: position), slot.fd >= 0 {
        if inMemory(size), !s.cancelled, s.idleBytes + size <= min(options.reusedBytes, options.budgetBytes / 8) {
          s.idle.append((slot.fd, size))
          s.idleBytes += size
        } else {
          close(slot.fd)
        }
      }
      s.heldBytes -= size
      guard let waiter = s.budgetWaiter, s.heldBytes == 0 || s.heldBytes + s.waitingFor <= options.budgetBytes else {
        return nil
      }
      s.heldBytes += s.waitingFor
      s.budgetWaiter = nil
      return waiter
    }
    waiter?.resume()
  }

  /// Stops fetching (the run failed); objects already fetched are freed by `release` or here.
  public func cancel() {
    let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
      s.cancelled = true
      defer { s.budgetWaiter = nil }
      return s.budgetWaiter
    }
    waiter?.resume()
  }

  deinit {
    state.withLock { s in
      for slot in s.slots.values where slot.fd >= 0 { close(slot.fd) }
      for file in s.idle { close(file.fd) }
    }
  }
}

/// A pthread mutex and condition variable: worker threads (not tasks) wait on fetches.
final class Condition: @unchecked Sendable {
  private var mutex = pthread_mutex_t()
  private var cond = pthread_cond_t()

  init() {
    pthread_mutex_init(&mutex, nil)
    pthread_cond_init(&cond, nil)
  }

  deinit {
    pthread_cond_destroy(&cond)
    pthread_mutex_destroy(&mutex)
  }

  func lock() { pthread_mutex_lock(&mutex) }
  func unlock() { pthread_mutex_unlock(&mutex) }
  func wait() { pthread_cond_wait(&cond, &mutex) }
  func broadcast() { pthread_cond_broadcast(&cond) }
}
