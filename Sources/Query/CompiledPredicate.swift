import Parquet

/// A literal typed for the column it meets, in the column's stored form.
enum TypedLiteral: Hashable, Sendable {
  case int(Int64)
  case double(Double)
  case bytes([UInt8])
  case bool(Bool)
}

/// A predicate bound to one file's schema: column positions and typed literals.
indirect enum CompiledPredicate: Sendable {
  case and([CompiledPredicate])
  case or([CompiledPredicate])
  case not(CompiledPredicate)
  case atom(column: Int, test: AtomTest)
  case constant(Bool)

  enum AtomTest: Sendable {
    case compare(Predicate.CompareOp, TypedLiteral)
    case isIn([TypedLiteral])
    /// `isIn` with many text literals: looked up by hash instead of compared one by one.
    case inBytes(ByteSet)
    case startsWith([UInt8])
    case endsWith([UInt8])
    case contains([UInt8])
    case within([CIDR])
    case isNull
  }

  var columns: Set<Int> {
    switch self {
    case .and(let ps), .or(let ps): return ps.reduce(into: Set()) { $0.formUnion($1.columns) }
    case .not(let p): return p.columns
    case .atom(let c, _): return [c]
    case .constant: return []
    }
  }

  /// Columns whose only tests are `is null`: their values need not be decoded, only their
  /// definition levels (every hunt asks whether `presign_version` is null).
  var nullTestedColumns: Set<Int> {
    var tested: [Int: Bool] = [:]
    func walk(_ p: CompiledPredicate) {
      switch p {
      case .and(let ps), .or(let ps): ps.forEach(walk)
      case .not(let q): walk(q)
      case .atom(let c, .isNull): tested[c] = tested[c] ?? true
      case .atom(let c, _): tested[c] = false
      case .constant: break
      }
    }
    walk(self)
    return Set(tested.filter(\.value).keys)
  }

  static func compile(_ p: Predicate, metadata m: FileMetadata, now: Int64) throws -> CompiledPredicate {
    func column(_ name: String) throws -> (Int, LeafColumn) {
      guard let i = m.columnIndex(named: name) else { throw QueryError("no column '\(name)'") }
      return (i, m.columns[i])
    }
    func literal(_ text: String, _ leaf: LeafColumn) throws -> TypedLiteral {
      switch leaf.kind {
      case .timestamp(let units):
        guard let micros = TimeLiteral.parse(text, now: now) else {
          throw QueryError("'\(text)' is not a time for \(leaf.name) (try 2024-03-01T07:10:27Z or 7d)")
        }
        return .int(units == 1_000_000 ? micros : units == 1000 ? micros / 1000 : micros &* 1000)
      case .date:
        guard let micros = TimeLiteral.parse(text, now: now) else { throw QueryError("'\(text)' is not a date") }
        return .int(micros >= 0 ? micros / 86_400_000_000 : (micros + 1) / 86_400_000_000 - 1)
      case .integer:
        guard let v = Int64(text) else { throw QueryError("'\(text)' is not an integer for \(leaf.name)") }
        return .int(v)
      case .double:
        guard let v = Double(text) else { throw QueryError("'\(text)' is not a number for \(leaf.name)") }
        return .double(v)
      case .boolean:
        guard let v = Bool(text.lowercased()) else { throw QueryError("'\(text)' is not true or false") }
        return .bool(v)
      case .string, .bytes:
        return .bytes(Array(text.utf8))
      case .unsupported(let what):
        throw QueryError("column \(leaf.name) has an unsupported type (\(what))")
      }
    }
    func text(_ name: String, _ leaf: LeafColumn) throws {
      guard leaf.kind == .string || leaf.kind == .bytes else {
        throw QueryError("\(name) is not a text column")
      }
    }
    switch p {
    case .always: return .constant(true)
    case .and(let ps): return .and(try ps.map { try compile($0, metadata: m, now: now) })
    case .or(let ps): return .or(try ps.map { try compile($0, metadata: m, now: now) })
    case .not(let q): return .not(try compile(q, metadata: m, now: now))
    case .compare(let name, let op, let value):
      let (i, leaf) = try column(name)
      return .atom(column: i, test: .compare(op, try literal(value, leaf)))
    case .isIn(let name, let values):
      let (i, leaf) = try column(name)
      let literals = try values.map { try literal($0, leaf) }
      if literals.count > 4, leaf.kind == .string || leaf.kind == .bytes {
        return .atom(
          column: i, test: .inBytes(ByteSet(literals.compactMap { if case .bytes(let b) = $0 { b } else { nil } })))
      }
      return .atom(column: i, test: .isIn(literals))
    case .startsWith(let name, let v):
      let (i, leaf) = try column(name)
      try text(name, leaf)
      return .atom(column: i, test: .startsWith(Array(v.utf8)))
    case .endsWith(let name, let v):
      let (i, leaf) = try column(name)
      try text(name, leaf)
      return .atom(column: i, test: .endsWith(Array(v.utf8)))
    case .contains(let name, let v):
      let (i, leaf) = try column(name)
      try text(name, leaf)
      return .atom(column: i, test: .contains(Array(v.utf8)))
    case .within(let name, let cidrs):
      let (i, leaf) = try column(name)
      try text(name, leaf)
      return .atom(column: i, test: .within(cidrs))
    case .isNull(let name):
      return .atom(column: try column(name).0, test: .isNull)
    }
  }
}

/// A set of byte strings probed with a view of bytes, without allocating per probe.
struct ByteSet: Sendable {
  private var buckets: [UInt64: [[UInt8]]] = [:]
  /// Sorted, for range checks against min/max statistics by binary search.
  let members: [[UInt8]]
  /// XXH64 of every member, for bloom filter probes.
  let bloomHashes: [UInt64]

  init(_ values: [[UInt8]]) {
    members = values.sorted { $0.lexicographicallyPrecedes($1) }
    bloomHashes = values.map { v in v.withUnsafeBytes { SplitBlockBloomFilter.hash(bytes: $0) } }
    for v in values { buckets[v.withUnsafeBytes { RowHash.bytes($0) }, default: []].append(v) }
  }

  /// Whether some member lies in [lo, hi] (byte order).
  func intersects(low lo: [UInt8], high hi: [UInt8]) -> Bool {
    var a = 0
    var b = members.count
    while a < b {
      let m = (a + b) / 2
      if members[m].lexicographicallyPrecedes(lo) { a = m + 1 } else { b = m }
    }
    return a < members.count && !hi.lexicographicallyPrecedes(members[a])
  }

  func contains(_ v: UnsafeRawBufferPointer) -> Bool {
    guard let candidates = buckets[RowHash.bytes(v)] else { return false }
    return candidates.contains { Evaluation.compare(v, $0) == 0 }
  }
}
