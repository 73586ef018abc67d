import Parquet

/// Evaluates a compiled predicate over one row group's decoded columns, column at a time.
/// Byte-array tests on dictionary-coded chunks run once per dictionary entry.
enum Evaluation {
  static func mask(_ p: CompiledPredicate, columns: [Int: DecodedColumn], rows: Int) -> [Bool] {
    switch p {
    case .constant(let v): return [Bool](repeating: v, count: rows)
    case .not(let q):
      var m = mask(q, columns: columns, rows: rows)
      combine(&m, with: nil) { a, _ in a ^ 1 }
      return m
    case .and(let ps):
      guard let first = ps.first else { return [Bool](repeating: true, count: rows) }
      var m = mask(first, columns: columns, rows: rows)
      for q in ps.dropFirst() { combine(&m, with: mask(q, columns: columns, rows: rows)) { $0 & $1 } }
      return m
    case .or(let ps):
      guard let first = ps.first else { return [Bool](repeating: false, count: rows) }
      var m = mask(first, columns: columns, rows: rows)
      for q in ps.dropFirst() { combine(&m, with: mask(q, columns: columns, rows: rows)) { $0 | $1 } }
      return m
    case .atom(let c, let test):
      guard let column = columns[c] else { return [Bool](repeating: false, count: rows) }
      return atom(test, column, rows: rows)
    }
  }

  /// `m[r] = op(m[r], other[r])` over the masks' bytes (a Bool is stored as 0 or 1), a loop
  /// the compiler vectorizes; the masks have one entry per row.
  @inline(__always)
  static func combine(_ m: inout [Bool], with other: [Bool]?, _ op: (UInt8, UInt8) -> UInt8) {
    let n = min(m.count, other?.count ?? m.count)
    m.withUnsafeMutableBytes { mb in
      if let other {
        other.withUnsafeBytes { ob in for r in 0..<n { mb[r] = op(mb[r], ob[r]) } }
      } else {
        for r in 0..<n { mb[r] = op(mb[r], 0) }
      }
    }
  }

  static func atom(_ test: CompiledPredicate.AtomTest, _ column: DecodedColumn, rows: Int) -> [Bool] {
    if case .isNull = test {
      switch column {
      case .dictionary(_, _, let nulls): return nulls
      case .values(.byteArray(let b)): return b.isNull
      case .values(.int64(_, let n)), .values(.int32(_, let n)), .values(.double(_, let n)),
        .values(.boolean(_, let n)):
        return n
      }
    }
    switch column {
    case .dictionary(let dictionary, let codes, let nulls):
      let entries = dictionary.bytes.withUnsafeBytes { raw in
        (0..<dictionary.count).map { bytesTest(test, UnsafeRawBufferPointer(rebasing: raw[dictionary.range($0)])) }
      }
      guard !entries.isEmpty, codes.count >= rows, nulls.count >= rows else {
        return (0..<rows).map { r in
          r < codes.count && r < nulls.count && !nulls[r] && Int(codes[r]) < entries.count && entries[Int(codes[r])]
        }
      }
      // No branch per row: a null row's code is a filler, looked up and then masked.
      let top = UInt32(entries.count - 1)
      return [Bool](unsafeUninitializedCapacity: rows) { out, initialized in
        entries.withUnsafeBufferPointer { e in
          codes.withUnsafeBufferPointer { c in
            nulls.withUnsafeBufferPointer { n in
              for r in 0..<rows { out[r] = e[Int(min(c[r], top))] && !n[r] }
            }
          }
        }
        initialized = rows
      }
    case .values(let values):
      switch values {
      case .byteArray(let b):
        return b.bytes.withUnsafeBytes { raw in
          (0..<rows).map { !b.isNull[$0] && bytesTest(test, UnsafeRawBufferPointer(rebasing: raw[b.range($0)])) }
        }
      case .int64(let v, let n):
        if case .compare(let op, .int(let lit)) = test, let m = compareAll(v, n, op, lit, rows: rows) { return m }
        return (0..<rows).map { !n[$0] && intTest(test, v[$0]) }
      case .int32(let v, let n):
        if case .compare(let op, .int(let lit)) = test, let m = compareAll(v, n, op, lit, rows: rows) { return m }
        return (0..<rows).map { !n[$0] && intTest(test, Int64(v[$0])) }
      case .double(let v, let n): return (0..<rows).map { !n[$0] && doubleTest(test, v[$0]) }
      case .boolean(let v, let n): return (0..<rows).map { !n[$0] && boolTest(test, v[$0]) }
      }
    }
  }

  /// The common integer comparison with its operator fixed outside the loop; nil if the
  /// arrays are shorter than the row group (a corrupt file), for the checked path to handle.
  static func compareAll<T: FixedWidthInteger>(
    _ v: [T], _ n: [Bool], _ op: Predicate.CompareOp, _ lit: Int64, rows: Int
  ) -> [Bool]? {
    guard v.count >= rows, n.count >= rows else { return nil }
    return v.withUnsafeBufferPointer { v in
      n.withUnsafeBufferPointer { n in
        switch op {
        case .eq: return (0..<rows).map { !n[$0] && Int64(v[$0]) == lit }
        case .ne: return (0..<rows).map { !n[$0] && Int64(v[$0]) != lit }
        case .lt: return (0..<rows).map { !n[$0] && Int64(v[$0]) < lit }
        case .le: return (0..<rows).map { !n[$0] && Int64(v[$0]) <= lit }
        case .gt: return (0..<rows).map { !n[$0] && Int64(v[$0]) > lit }
        case .ge: return (0..<rows).map { !n[$0] && Int64(v[$0]) >= lit }
        }
      }
    }
  }

  static func compare(_ a: UnsafeRawBufferPointer, _ b: [UInt8]) -> Int {
    let n = min(a.count, b.count)
    for i in 0..<n where a[i] != b[i] { return a[i] < b[i] ? -1 : 1 }
    return a.count == b.count ? 0 : a.count < b.count ? -1 : 1
  }

  static func holds(_ op: Predicate.CompareOp, _ order: Int) -> Bool {
    switch op {
    case .eq: return order == 0
    case .ne: return order != 0
    case .lt: return order < 0
    case .le: return order <= 0
    case .gt: return order > 0
    case .ge: return order >= 0
    }
  }

  static func bytesTest(_ test: CompiledPredicate.AtomTest, _ v: UnsafeRawBufferPointer) -> Bool {
    switch test {
    case .compare(let op, .bytes(let lit)): return holds(op, compare(v, lit))
    case .isIn(let lits):
      for case .bytes(let lit) in lits where compare(v, lit) == 0 { return true }
      return false
    case .inBytes(let set): return set.contains(v)
    case .startsWith(let p):
      return v.count >= p.count && compare(UnsafeRawBufferPointer(rebasing: v[0..<p.count]), p) == 0
    case .endsWith(let p):
      return v.count >= p.count && compare(UnsafeRawBufferPointer(rebasing: v[(v.count - p.count)...]), p) == 0
    case .contains(let p):
      guard !p.isEmpty else { return true }
      guard v.count >= p.count else { return false }
      for start in 0...(v.count - p.count) where v[start] == p[0] {
        if compare(UnsafeRawBufferPointer(rebasing: v[start..<start + p.count]), p) == 0 { return true }
      }
      return false
    case .within(let cidrs):
      guard let address = IPAddress.parse(v) else { return false }
      return cidrs.contains { $0.contains(address) }
    default: return false
    }
  }

  static func intTest(_ test: CompiledPredicate.AtomTest, _ v: Int64) -> Bool {
    switch test {
    case .compare(let op, .int(let lit)): return holds(op, v < lit ? -1 : v > lit ? 1 : 0)
    case .isIn(let lits): return lits.contains(.int(v))
    default: return false
    }
  }

  static func doubleTest(_ test: CompiledPredicate.AtomTest, _ v: Double) -> Bool {
    switch test {
    case .compare(let op, .double(let lit)): return holds(op, v < lit ? -1 : v > lit ? 1 : 0)
    case .isIn(let lits): return lits.contains(.double(v))
    default: return false
    }
  }

  static func boolTest(_ test: CompiledPredicate.AtomTest, _ v: Bool) -> Bool {
    switch test {
    case .compare(.eq, .bool(let lit)): return v == lit
    case .compare(.ne, .bool(let lit)): return v != lit
    case .isIn(let lits): return lits.contains(.bool(v))
    default: return false
    }
  }
}
