import Parquet

/// Whether a row group can hold a matching row, from its statistics and bloom filters alone.
enum Pruning {
  enum Verdict: Equatable {
    case read
    case skipByStatistics
    case skipByBloomFilter
  }

  static func verdict(_ p: CompiledPredicate, file: ParquetFile, group g: Int) -> Verdict {
    switch p {
    case .constant(let v): return v ? .read : .skipByStatistics
    case .not: return .read
    case .and(let ps):
      for q in ps {
        let v = verdict(q, file: file, group: g)
        if v != .read { return v }
      }
      return .read
    case .or(let ps):
      var sawBloom = false
      for q in ps {
        let v = verdict(q, file: file, group: g)
        if v == .read { return .read }
        if v == .skipByBloomFilter { sawBloom = true }
      }
      return sawBloom ? .skipByBloomFilter : .skipByStatistics
    case .atom(let c, let test):
      return atom(test, column: c, file: file, group: g)
    }
  }

  private static func atom(_ test: CompiledPredicate.AtomTest, column c: Int, file: ParquetFile, group g: Int)
    -> Verdict
  {
    let m = file.metadata
    let group = m.rowGroups[g]
    let chunk = group.columns[c]
    let stats = chunk.statistics
    if case .isNull = test {
      return stats?.nullCount == 0 ? .skipByStatistics : .read
    }
    if let nulls = stats?.nullCount, nulls == group.rows { return .skipByStatistics }
    let leaf = m.columns[c]
    if m.typeDefinedOrder, let s = stats, let lo = s.min, let hi = s.max, !inRange(test, lo, hi, leaf) {
      return .skipByStatistics
    }
    let probes: [TypedLiteral]
    switch test {
    case .compare(.eq, let lit): probes = [lit]
    case .isIn(let lits): probes = lits
    default: probes = []
    }
    if case .inBytes(let set) = test, chunk.bloomFilterOffset != nil,
      let filter = try? file.bloomFilter(rowGroup: g, column: c),
      !set.bloomHashes.contains(where: { filter.mightContain(hash: $0) })
    {
      return .skipByBloomFilter
    }
    if !probes.isEmpty, chunk.bloomFilterOffset != nil, let filter = try? file.bloomFilter(rowGroup: g, column: c) {
      let hit = probes.contains { lit in
        switch lit {
        case .bytes(let b):
          return b.withUnsafeBytes { filter.mightContain(hash: SplitBlockBloomFilter.hash(bytes: $0)) }
        case .int(let v):
          return leaf.physicalType == .int32
            ? filter.mightContain(hash: SplitBlockBloomFilter.hash(Int32(truncatingIfNeeded: v)))
            : filter.mightContain(hash: SplitBlockBloomFilter.hash(v))
        default: return true
        }
      }
      if !hit { return .skipByBloomFilter }
    }
    return .read
  }

  /// Whether some value in [lo, hi] may pass `test`.
  private static func inRange(_ test: CompiledPredicate.AtomTest, _ lo: [UInt8], _ hi: [UInt8], _ leaf: LeafColumn)
    -> Bool
  {
    func order(_ a: TypedLiteral, _ bound: [UInt8]) -> Int? {
      switch a {
      case .int(let v) where leaf.physicalType == .int32 || leaf.physicalType == .int64:
        let b = ColumnChunkStatistics.integer(bound)
        return v < b ? -1 : v > b ? 1 : 0
      case .bytes(let v) where leaf.physicalType == .byteArray:
        return -bound.withUnsafeBytes { Evaluation.compare($0, v) }
      default: return nil
      }
    }
    switch test {
    case .compare(let op, let lit):
      guard let vsLo = order(lit, lo), let vsHi = order(lit, hi) else { return true }
      switch op {
      case .eq: return vsLo >= 0 && vsHi <= 0
      case .lt: return vsLo > 0
      case .le: return vsLo >= 0
      case .gt: return vsHi < 0
      case .ge: return vsHi <= 0
      case .ne: return !(vsLo == 0 && vsHi == 0)
      }
    case .isIn(let lits):
      return lits.contains { lit in
        guard let a = order(lit, lo), let b = order(lit, hi) else { return true }
        return a >= 0 && b <= 0
      }
    case .inBytes(let set) where leaf.physicalType == .byteArray:
      return set.intersects(low: lo, high: hi)
    case .startsWith(let p) where leaf.physicalType == .byteArray:
      // Some value with prefix p lies in [lo, hi] unless hi < p, or lo's first bytes exceed p.
      if hi.withUnsafeBytes({ Evaluation.compare($0, p) }) < 0 && !hi.starts(with: p) { return false }
      let head = Array(lo.prefix(p.count))
      return head.withUnsafeBytes { Evaluation.compare($0, p) } <= 0
    default:
      return true
    }
  }
}
