/// Groups work items into the units workers take from the shared queue.
///
/// Two things keep both cores busy to the end of a run. Units are small next to a worker's
/// share of the run (a thirty-second of it at most), so the last unit taken costs little; and units are
/// handed out largest first, so the run ends on the smallest ones instead of on one worker still
/// reading a big unit while the other waits. With four 16 MiB units of CloudTrail archives one
/// worker finished 150 ms before the other, a tenth of the run.
struct WorkPlan {
  /// An item and its estimated cost (bytes of work, see `cost(storedBytes:path:)`).
  struct Entry {
    var item: IndexJob.Item
    var cost: Int64
    /// Whether the item is a share of a large file: it is a unit on its own, never grouped.
    var isShare: Bool
  }

  /// Units in the order they are handed out.
  let units: [[IndexJob.Item]]

  /// `unitBytes`: the largest unit cost; `maxFilesPerUnit`: the most files one unit groups.
  init(_ entries: [Entry], threads: Int, unitBytes: Int64, maxFilesPerUnit: Int = 4096) {
    let total = entries.reduce(Int64(0)) { $0 + $1.cost }
    let target = min(unitBytes, max(1 << 20, total / Int64(max(1, threads) * 32)))
    var units: [(cost: Int64, items: [IndexJob.Item])] = []
    var current: [IndexJob.Item] = []
    var currentCost: Int64 = 0
    for e in entries {
      if e.isShare {
        units.append((e.cost, [e.item]))
        continue
      }
      current.append(e.item)
      currentCost += e.cost
      if currentCost >= target || current.count >= maxFilesPerUnit {
        units.append((currentCost, current))
        current = []
        currentCost = 0
      }
    }
    if !current.isEmpty { units.append((currentCost, current)) }
    // Stable, so equal units keep input order and a plan is reproducible.
    let order = units.indices.sorted { a, b in
      units[a].cost != units[b].cost ? units[a].cost > units[b].cost : a < b
    }
    self.units = order.map { units[$0].items }
  }

  /// Work a stored file costs, in bytes of plain text: a compressed archive expands about five
  /// times, and its lines or records are what cost time (measured: 9 ns per byte of access
  /// logs, 50 ns per stored byte of gzipped CloudTrail).
  static func cost(storedBytes: Int64, path: String) -> Int64 {
    let compressed = path.hasSuffix(".gz") || path.hasSuffix(".zst") || path.hasSuffix(".gzip")
    return compressed ? storedBytes * 5 : storedBytes
  }
}
