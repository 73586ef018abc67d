import Dispatch
import Synchronization

/// Two pieces of work at once, for the single-threaded stretches between scans: a scan's threads
/// keep both cores busy, the work after it would leave one idle.
public enum Alongside {
  /// `main` on this thread and `side` on another, both results once both have ended. `side`
  /// never outlives the call, even when `main` throws.
  public static func run<A, B: Sendable>(_ main: () throws -> A, side: @escaping @Sendable () -> B) rethrows -> (A, B) {
    let result = Mutex<B?>(nil)
    let done = DispatchGroup()
    DispatchQueue.global().async(group: done) {
      let b = side()
      result.withLock { $0 = b }
    }
    defer { done.wait() }
    let a = try main()
    done.wait()
    return (a, result.withLock { $0! })
  }
}
