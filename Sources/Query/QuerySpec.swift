/// `--select`, `--group-by`, `--order-by` and `--limit`, parsed.
public struct QuerySpec: Sendable {
  public enum Item: Sendable, Equatable {
    case column(String)
    case count
    case countDistinct(String)
    case sum(String)
    case min(String)
    case max(String)

    public var label: String {
      switch self {
      case .column(let c): return c
      case .count: return "count"
      case .countDistinct(let c): return "count_distinct_\(c)"
      case .sum(let c): return "sum_\(c)"
      case .min(let c): return "min_\(c)"
      case .max(let c): return "max_\(c)"
      }
    }

    var argument: String? {
      switch self {
      case .column(let c), .countDistinct(let c), .sum(let c), .min(let c), .max(let c): return c
      case .count: return nil
      }
    }

    var isAggregate: Bool {
      if case .column = self { return false }
      return true
    }
  }

  public var select: [Item]
  public var groupBy: [String]
  public var orderBy: [(label: String, descending: Bool)]
  public var limit: Int?

  public var isAggregate: Bool { !groupBy.isEmpty || select.contains { $0.isAggregate } }

  /// Columns a scan must return: group keys, then every selected or aggregated column.
  public var scanColumns: [String] {
    var out: [String] = []
    for c in groupBy + select.compactMap(\.argument) where !out.contains(c) { out.append(c) }
    return out
  }

  public init(select: String?, groupBy: String?, orderBy: String?, limit: Int?, defaultColumns: [String]) throws {
    let groups = Self.split(groupBy ?? "").map { $0.trimmingCharacters(in: " ") }.filter { !$0.isEmpty }
    var items = try Self.split(select ?? "").map { $0.trimmingCharacters(in: " ") }.filter { !$0.isEmpty }.map(
      Self.item)
    if items.isEmpty { items = groups.isEmpty ? defaultColumns.map(Item.column) : groups.map(Item.column) + [.count] }
    self.select = items
    self.groupBy = groups
    self.limit = limit
    self.orderBy = try Self.split(orderBy ?? "").map { $0.trimmingCharacters(in: " ") }.filter { !$0.isEmpty }.map {
      o in
      let words = o.split(separator: " ")
      let descending = words.count == 2 && words[1].lowercased() == "desc"
      guard words.count == 1 || (words.count == 2 && ["asc", "desc"].contains(words[1].lowercased())) else {
        throw QueryError("--order-by: '\(o)' is not 'COLUMN [asc|desc]'")
      }
      let label = (try? Self.item(String(words[0])).label) ?? String(words[0])
      return (label, descending)
    }
    if isAggregate {
      for case .column(let c) in items where !groups.contains(c) {
        throw QueryError("--select: '\(c)' must be in --group-by or inside count/sum/min/max")
      }
    }
    for o in self.orderBy where !items.contains(where: { $0.label == o.label }) {
      throw QueryError(
        "--order-by: '\(o.label)' is not selected (selected: \(items.map(\.label).joined(separator: ", ")))")
    }
  }

  /// Splits on commas outside parentheses.
  static func split(_ s: String) -> [String] {
    var parts: [String] = []
    var depth = 0
    var current = ""
    for c in s {
      if c == "(" { depth += 1 }
      if c == ")" { depth -= 1 }
      if c == "," && depth == 0 {
        parts.append(current)
        current = ""
      } else {
        current.append(c)
      }
    }
    parts.append(current)
    return parts
  }

  static func item(_ text: String) throws -> Item {
    guard let open = text.firstIndex(of: "("), text.hasSuffix(")") else {
      guard !text.contains(" ") else { throw QueryError("--select: '\(text)' is not a column or aggregate") }
      return .column(text)
    }
    let name = text[..<open].lowercased().trimmingCharacters(in: " ")
    var arg = String(text[text.index(after: open)..<text.index(before: text.endIndex)]).trimmingCharacters(in: " ")
    switch name {
    case "count":
      if arg.isEmpty || arg == "*" { return .count }
      if arg.lowercased().hasPrefix("distinct ") {
        arg = String(arg.dropFirst(9)).trimmingCharacters(in: " ")
        return .countDistinct(arg)
      }
      return .count
    case "sum": return .sum(arg)
    case "min": return .min(arg)
    case "max": return .max(arg)
    default: throw QueryError("--select: unknown aggregate '\(name)' (count, count(distinct c), sum, min, max)")
    }
  }
}

/// Groups rows and folds aggregates; one per thread, merged at the end.
public struct Aggregator: Sendable {
  let spec: QuerySpec
  /// Position of each group key and aggregate argument in the scanned row.
  let keyIndexes: [Int]
  let argumentIndexes: [Int?]

  enum State: Sendable {
    case count(Int64)
    case distinct(Set<Value>)
    case sum(Value)
    case extreme(Value)
  }

  var groups: [[Value]: [State]] = [:]

  public init(spec: QuerySpec) {
    self.spec = spec
    let columns = spec.scanColumns
    keyIndexes = spec.groupBy.map { columns.firstIndex(of: $0)! }
    argumentIndexes = spec.select.map { $0.argument.flatMap { columns.firstIndex(of: $0) } }
  }

  func initial() -> [State] {
    spec.select.map {
      switch $0 {
      case .column, .count: return .count(0)
      case .countDistinct: return .distinct([])
      case .sum: return .sum(.null)
      case .min, .max: return .extreme(.null)
      }
    }
  }

  public mutating func add(_ row: [Value]) {
    let key = keyIndexes.map { row[$0] }
    var states = groups[key] ?? initial()
    for (i, item) in spec.select.enumerated() {
      let v = argumentIndexes[i].map { row[$0] } ?? .null
      switch (item, states[i]) {
      case (.count, .count(let n)): states[i] = .count(n + 1)
      case (.countDistinct, .distinct(var set)):
        if !v.isNull {
          set.insert(v)
          states[i] = .distinct(set)
        }
      case (.sum, .sum(let s)): states[i] = .sum(Self.plus(s, v))
      case (.min, .extreme(let e)): if !v.isNull && (e.isNull || v < e) { states[i] = .extreme(v) }
      case (.max, .extreme(let e)): if !v.isNull && (e.isNull || e < v) { states[i] = .extreme(v) }
      default: break
      }
    }
    groups[key] = states
  }

  static func plus(_ a: Value, _ b: Value) -> Value {
    switch (a, b) {
    case (.null, _): return b
    case (_, .null): return a
    case (.int(let x), .int(let y)): return .int(x &+ y)
    case (.double(let x), .double(let y)): return .double(x + y)
    case (.int(let x), .double(let y)), (.double(let y), .int(let x)): return .double(Double(x) + y)
    default: return a
    }
  }

  public mutating func merge(_ other: Aggregator) {
    for (key, theirs) in other.groups {
      guard var mine = groups[key] else {
        groups[key] = theirs
        continue
      }
      for i in mine.indices {
        switch (mine[i], theirs[i]) {
        case (.count(let a), .count(let b)): mine[i] = .count(a + b)
        case (.distinct(let a), .distinct(let b)): mine[i] = .distinct(a.union(b))
        case (.sum(let a), .sum(let b)): mine[i] = .sum(Self.plus(a, b))
        case (.extreme(let a), .extreme(let b)):
          if case .min = spec.select[i] {
            mine[i] = .extreme(a.isNull ? b : b.isNull ? a : Swift.min(a, b))
          } else {
            mine[i] = .extreme(a.isNull ? b : b.isNull ? a : Swift.max(a, b))
          }
        default: break
        }
      }
      groups[key] = mine
    }
  }

  /// One output row per group, in `spec.select` order.
  public func rows() -> [[Value]] {
    var key = groups.keys.map { $0 }
    if groups.isEmpty && spec.groupBy.isEmpty { key = [[]] }
    return key.map { k in
      let states = groups[k] ?? initial()
      return spec.select.enumerated().map { i, item in
        switch (item, states[i]) {
        case (.column(let c), _): return k[spec.groupBy.firstIndex(of: c)!]
        case (_, .count(let n)): return .int(n)
        case (_, .distinct(let s)): return .int(Int64(s.count))
        case (_, .sum(let v)), (_, .extreme(let v)): return v
        }
      }
    }
  }
}
