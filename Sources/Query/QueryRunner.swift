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
      statistics = try Scanner.scan(scan) { batch in
        let projected = batch.map { row in positions.map { row[$0] } }
        collected.withLock { $0 += projected }
      }
      rows = collected.withLock { $0 }
    }
    if spec.orderBy.isEmpty {
      // Deterministic output whatever the thread count.
      rows.sort { $0.lexicographicallyPrecedes($1) }
    } else {
      let keys = spec.orderBy.map { o in (header.firstIndex(of: o.label)!, o.descending) }
      rows.sort { a, b in
        for (i, descending) in keys where a[i] != b[i] { return descending ? b[i] < a[i] : a[i] < b[i] }
        return a.lexicographicallyPrecedes(b)
      }
    }
    if let limit = spec.limit, rows.count > limit { rows = Array(rows.prefix(limit)) }
    return Result(header: header, rows: rows, statistics: statistics)
  }
}
