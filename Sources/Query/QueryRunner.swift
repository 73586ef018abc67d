import Synchronization

/// A whole `sigtrail query`: scan, then project or aggregate, order and limit.
public enum QueryRunner {
  public struct Result: Sendable {
    public var header: [String]
    public var rows: [[Value]]
    public var statistics: ScanStatistics
  }

  public static func run(_ request: ScanRequest, spec: QuerySpec) throws -> Result {
    var scan = request
    scan.columns = spec.scanColumns
    let header = spec.select.map(\.label)
    var rows: [[Value]]
    let statistics: ScanStatistics
    if spec.isAggregate {
      let partial = PerWorker(threads: scan.threads) { Aggregator(spec: spec) }
      statistics = try Scanner.scan(scan) { (batch: RowBatch) in partial.update(batch.worker) { $0.add(batch) } }
      var parts = partial.all
      var merged = parts.removeFirst()
      for part in parts { merged.merge(part) }
      rows = merged.rows()
    } else {
      let positions = spec.select.map { scan.columns.firstIndex(of: $0.argument!)! }
      let collected = Mutex<[[Value]]>([])
      let order = ordering(spec, header: header)
      let limit = spec.limit
      statistics = try Scanner.scan(scan) { batch in
        let projected = batch.map { row in positions.map { row[$0] } }
        collected.withLock { rows in
          rows += projected
          // With a limit, only the rows that can still make the answer are kept: memory stays
          // that of the limit, not of the table (the answer is the same).
          if let limit, rows.count > 2 * limit + 1024 {
            rows.sort(by: order)
            rows.removeSubrange(limit...)
          }
        }
      }
      rows = collected.withLock { $0 }
    }
    rows.sort(by: ordering(spec, header: header))
    if let limit = spec.limit, rows.count > limit { rows = Array(rows.prefix(limit)) }
    return Result(header: header, rows: rows, statistics: statistics)
  }

  /// The order of the answer: `--order-by`, then whole rows, so it does not depend on the
  /// thread count.
  static func ordering(_ spec: QuerySpec, header: [String]) -> @Sendable ([Value], [Value]) -> Bool {
    let keys = spec.orderBy.map { o in (header.firstIndex(of: o.label)!, o.descending) }
    return { a, b in
      for (i, descending) in keys where a[i] != b[i] { return descending ? b[i] < a[i] : a[i] < b[i] }
      return a.lexicographicallyPrecedes(b)
    }
  }
}
