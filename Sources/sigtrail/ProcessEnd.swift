/// What a command leaves to the end of the process instead of freeing.
enum ProcessEnd {
  private final class Held<T> {
    let value: T
    init(_ value: T) { self.value = value }
  }

  /// Keeps `value` until the process exits. A command about to end need not free millions of
  /// small objects one by one: the system takes the whole heap back at once.
  static func leave<T>(_ value: T) { _ = Unmanaged.passRetained(Held(value)) }
}
