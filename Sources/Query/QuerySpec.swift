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

/// Group-by state: one slot per group and select item, kept in flat arrays and updated in
/// place. (States kept as enum payloads in a dictionary were copied on every update: `count
/// (distinct ...)` copied its whole set per row.)
public struct Aggregator: Sendable {
  let spec: QuerySpec
  /// Position of each group key and aggregate argument in the scanned row.
  let keyIndexes: [Int]
  let argumentIndexes: [Int?]

  private var groupIndex: [[Value]: Int] = [:]
  private var keys: [[Value]] = []
  /// Indexed [item][group].
  private var counts: [[Int64]]
  private var values: [[Value]]
  private var distinct: [[Set<Value>]]

  public init(spec: QuerySpec) {
    self.spec = spec
    let columns = spec.scanColumns
    keyIndexes = spec.groupBy.map { columns.firstIndex(of: $0)! }
    argumentIndexes = spec.select.map { $0.argument.flatMap { columns.firstIndex(of: $0) } }
    counts = Array(repeating: [], count: spec.select.count)
    values = Array(repeating: [], count: spec.select.count)
    distinct = Array(repeating: [], count: spec.select.count)
  }

  /// The group of `key`, made on first sight.
  private mutating func group(_ key: [Value]) -> Int {
    if let g = groupIndex[key] { return g }
    let g = keys.count
    groupIndex[key] = g
    keys.append(key)
    for i in spec.select.indices {
      counts[i].append(0)
      values[i].append(.null)
      distinct[i].append([])
    }
    return g
  }

  public mutating func add(_ row: [Value]) {
    let g = group(keyIndexes.map { row[$0] })
    for i in spec.select.indices { update(i, g, argumentIndexes[i].map { row[$0] } ?? .null) }
  }

  /// Adds every row of a scan's batch, reading only the cells the grouping and the aggregates need.
  public mutating func add(_ batch: RowBatch) {
    let single = keyIndexes.isEmpty ? group([]) : nil
    for r in 0..<batch.count {
      let g = single ?? group(keyIndexes.map { batch.value(r, $0) })
      for i in spec.select.indices {
        if case .count = spec.select[i] {
          counts[i][g] += 1
          continue
        }
        update(i, g, argumentIndexes[i].map { batch.value(r, $0) } ?? .null)
      }
    }
  }

  private mutating func update(_ i: Int, _ g: Int, _ v: Value) {
    switch spec.select[i] {
    case .column: break
    case .count: counts[i][g] += 1
    case .countDistinct: if !v.isNull { distinct[i][g].insert(v) }
    case .sum: values[i][g] = Self.plus(values[i][g], v)
    case .min: if !v.isNull && (values[i][g].isNull || v < values[i][g]) { values[i][g] = v }
    case .max: if !v.isNull && (values[i][g].isNull || values[i][g] < v) { values[i][g] = v }
    }
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
    for (h, key) in other.keys.enumerated() {
      let g = group(key)
      for i in spec.select.indices {
        counts[i][g] += other.counts[i][h]
        distinct[i][g].formUnion(other.distinct[i][h])
        switch spec.select[i] {
        case .sum: values[i][g] = Self.plus(values[i][g], other.values[i][h])
        case .min, .max: update(i, g, other.values[i][h])
        default: break
        }
      }
    }
  }

  /// One output row per group, in `spec.select` order.
  public func rows() -> [[Value]] {
    var all = self
    if keys.isEmpty && spec.groupBy.isEmpty { _ = all.group([]) }
    return all.keys.indices.map { g in
      spec.select.enumerated().map { i, item in
        switch item {
        case .column(let c): return all.keys[g][spec.groupBy.firstIndex(of: c)!]
        case .count: return .int(all.counts[i][g])
        case .countDistinct: return .int(Int64(all.distinct[i][g].count))
        case .sum, .min, .max: return all.values[i][g]
        }
      }
    }
  }
}
