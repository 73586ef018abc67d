/// A set that holds its first member inline: most URLs are used once (from one address, by one
/// agent), and a heap set per URL would cost more than everything else.
struct SmallSet<Element: Hashable> {
  var first: Element
  var more: Set<Element>?

  init(_ v: Element) { first = v }

  var count: Int { (more?.count ?? 0) + 1 }

  /// Inserts `v`; false if it was there.
  @discardableResult
  mutating func insert(_ v: Element) -> Bool {
    if v == first { return false }
    if more == nil { more = [] }
    return more!.insert(v).inserted
  }

  mutating func formUnion(_ o: SmallSet) {
    insert(o.first)
    for v in o.more ?? [] { insert(v) }
  }
}
extension SmallSet: Sendable where Element: Sendable {}
