import Manifest
import Shards

#if canImport(Glibc)
  import Glibc
#endif

/// Merges the small parts nightly runs leave in each partition into parts of about `partRows`
/// rows, atomically: the merged part is written, the manifest commit swaps it for the small
/// ones (so every input still knows which part holds its rows), then the small ones are retired
/// (`RetainedParts`: deleted once readers that listed them have had time to finish).
/// A crash at any point leaves either the old parts or the new one committed, never both.
public struct CompactJob: Sendable {
  public var outputDirectory: String
  public var runID: String
  public var tables = PartitionLayout.tables
  /// Only these partitions (`dt=YYYY-MM-DD`), or all when empty.
  public var partitions: Set<String> = []
  public var shards = ShardOptions()
  /// A part with fewer rows than this share of `partRows` is small.
  public var smallFraction = 0.5
  public var dryRun = false
  /// How long replaced parts stay for readers that listed them (nanoseconds); 0: deleted at once.
  public var retainNanos = IndexOptions.defaultRetainNanos

  public init(outputDirectory: String, runID: String) {
    self.outputDirectory = outputDirectory
    self.runID = runID
  }

  public struct Summary: Sendable, Codable {
    public var partitionsCompacted = 0
    public var partsBefore = 0
    public var partsAfter = 0
    public var rows: Int64 = 0
    public var bytesBefore: Int64 = 0
    public var bytesAfter: Int64 = 0
    /// Parts an interrupted run had replaced or left uncommitted, removed before compacting.
    public var replacedPartsRemoved = 0
  }

  public func run() throws -> Summary {
    var summary = Summary()
    let store = ManifestStore(outputDirectory: outputDirectory)
    store.removeTemporaries()
    let state = try store.load()
    // What an interrupted compaction or index run committed but had not yet deleted goes first:
    // its readers would count those rows twice. Compaction holds the lock alone.
    if !dryRun {
      summary.replacedPartsRemoved = try OrphanSweep(
        outputDirectory: outputDirectory, runID: runID, slice: (0, 1), state: state, retainNanos: retainNanos
      ).run()
    }
    var byPartition: [String: [PartRecord]] = [:]
    for part in state.parts.values where tables.contains(part.table) {
      guard partitions.isEmpty || partitions.contains(part.partition) else { continue }
      guard Double(part.rows) < Double(shards.partRows) * smallFraction else { continue }
      byPartition["\(part.table)/\(part.partition)", default: []].append(part)
    }
    var begun = false
    var sequence = 0
    for key in byPartition.keys.sorted() {
      // Greedy groups in name order (roughly time order of the runs), each up to partRows.
      var groups: [[PartRecord]] = [[]]
      for part in byPartition[key]!.sorted(by: { $0.path < $1.path }) {
        if groups[groups.count - 1].reduce(0, { $0 + $1.rows }) + part.rows > Int64(shards.partRows) {
          groups.append([])
        }
        groups[groups.count - 1].append(part)
      }
      groups = groups.filter { $0.count >= 2 }
      guard !groups.isEmpty else { continue }
      summary.partitionsCompacted += 1
      for group in groups {
        summary.partsBefore += group.count
        summary.partsAfter += 1
        summary.rows += group.reduce(0) { $0 + $1.rows }
        summary.bytesBefore += group.reduce(0) { $0 + $1.bytes }
        if dryRun { continue }
        if !begun {
          try store.commit([.begin(run: runID)], tag: "\(runID)-begin")
          begun = true
        }
        sequence += 1
        let name = "part-\(runID)-c\(String(sequence).leftPadded(to: 5)).parquet"
        let result = try PartRewriter.merge(
          group.map(\.path), output: outputDirectory, newName: name, options: shards, version: BuildInfo.version)
        guard Int64(result.rows) == group.reduce(0, { $0 + $1.rows }) else {
          unlink("\(outputDirectory)/\(result.newPath!)")
          throw ShardError("compaction of \(key) read \(result.rows) rows where the manifest says otherwise")
        }
        summary.bytesAfter += Int64(result.bytes)
        var entries = group.map { ManifestEntry.replace(old: $0.path, new: result.newPath) }
        entries.append(
          .part(
            PartRecord(
              table: group[0].table, partition: group[0].partition, path: result.newPath!, rows: Int64(result.rows),
              bytes: Int64(result.bytes))))
        try store.commit(entries, tag: "\(runID)-compact-\(sequence)")
        try RetainedParts(outputDirectory: outputDirectory, retainNanos: retainNanos).retire(group.map(\.path))
      }
    }
    return summary
  }
}
