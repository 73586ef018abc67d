/// One accumulator per scan thread, so that threads never wait for each other; each is touched
/// only by the thread whose `RowBatch.worker` it is.
public final class PerWorker<T>: @unchecked Sendable {
  private final class Slot {
    // Only its own thread touches a slot: the runtime exclusivity check is not needed.
    @exclusivity(unchecked) var value: T
    init(_ value: T) { self.value = value }
  }

  private let slots: [Slot]

  public init(threads: Int, _ make: () -> T) { slots = (0..<max(1, threads)).map { _ in Slot(make()) } }

  public func update<R>(_ worker: Int, _ body: (inout T) -> R) -> R { body(&slots[worker].value) }

  public var all: [T] { slots.map(\.value) }

  /// The accumulators, each left empty-handed (`make`'s value), so that the caller holds the
  /// only reference to what they gathered and can extend it without copying.
  public func take(replacingWith make: () -> T) -> [T] {
    slots.map { slot in
      let value = slot.value
      slot.value = make()
      return value
    }
  }
}

extension PerWorker {
  /// Every thread's elements in one array, thread after thread. The first thread's array is
  /// taken over, not copied: a copy costs a retain and a release per string.
  public func joined<Element>() -> [Element] where T == [Element] {
    var parts = take { [] }
    var all = parts.isEmpty ? [] : parts.removeFirst()
    for part in parts { all.append(contentsOf: part) }
    return all
  }
}
