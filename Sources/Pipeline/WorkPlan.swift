/// Groups work items into the units workers take from the shared queue.
///
/// Units are small next to a worker's share of the run (a thirty-second of it at most), so the
/// last unit taken costs little and both cores stay busy to the end: with four 16 MiB units of
/// CloudTrail archives one worker had finished 150 ms before the other, a tenth of the run.
/// Units keep the order of the inputs (deliveries are named by time), so a worker's rows stay
/// within a few days at a time: handed out largest first, a month of logs would have spread
/// every worker's memory over thirty partitions at once, and its parts with it.
struct WorkPlan {
  /// An item and its estimated cost (bytes of work, see `cost(storedBytes:path:)`).
  struct Entry {
    var item: IndexJob.Item
    var cost: Int64
    /// Whether the item is a share of a large file: it is a unit on its own, never grouped.
    var isShare: Bool
  }

  /// Units in the order they are handed out: the order of the inputs.
  let units: [[IndexJob.Item]]

  /// `unitBytes`: the largest unit cost; `maxFilesPerUnit`: the most files one unit groups.
  init(_ entries: [Entry], threads: Int, unitBytes: Int64, maxFilesPerUnit: Int = 4096) {
    let total = entries.reduce(Int64(0)) { $0 + $1.cost }
    let target = min(unitBytes, max(1 << 20, total / Int64(max(1, threads) * 32)))
    var units: [[IndexJob.Item]] = []
    var current: [IndexJob.Item] = []
    var currentCost: Int64 = 0
    for e in entries {
      if e.isShare {
        if !current.isEmpty {
          units.append(current)
          current = []
          currentCost = 0
        }
        units.append([e.item])
        continue
      }
      current.append(e.item)
      currentCost += e.cost
      if currentCost >= target || current.count >= maxFilesPerUnit {
        units.append(current)
        current = []
        currentCost = 0
      }
    }
    if !current.isEmpty { units.append(current) }
    self.units = units
  }

  /// Work a stored file costs, in bytes of plain text: a compressed archive expands about five
  /// times, and its lines or records are what cost time (measured: 9 ns per byte of access
  /// logs, 50 ns per stored byte of gzipped CloudTrail).
  static func cost(storedBytes: Int64, path: String) -> Int64 {
    let compressed = path.hasSuffix(".gz") || path.hasSuffix(".zst") || path.hasSuffix(".gzip")
    return compressed ? storedBytes * 5 : storedBytes
  }
}
