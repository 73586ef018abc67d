import Manifest
import Shards

#if canImport(Glibc)
  import Glibc
#endif

/// Removes the rows of inputs whose content changed (or whose rows were in a part that is gone)
/// from every part that holds them, so that re-indexing them does not count anything twice. The
/// rewritten parts and the retraction are one manifest commit; the old parts are retired only
/// after it (`RetainedParts`; a crash in between leaves uncommitted new parts, which the next
/// run's sweep removes).
struct Retraction {
  let options: IndexOptions
  let state: ManifestState
  let store: ManifestStore

  func retract(_ paths: [String]) throws -> Int64 {
    let sources = Set(paths)
    var parts = Set<String>()
    for path in paths { parts.formUnion(state.parts(of: path)) }
    var entries: [ManifestEntry] = []
    var superseded: [String] = []
    var removed: Int64 = 0
    for (n, part) in parts.sorted().enumerated() where state.parts[part] != nil {
      // A part that is gone has no rows to remove: the commit drops it.
      if access("\(options.outputDirectory)/\(part)", F_OK) != 0 {
        entries.append(.replace(old: part, new: nil))
        continue
      }
      let name = "part-\(options.runID)-r\(String(n + 1).leftPadded(to: 5)).parquet"
      guard
        let result = try PartRewriter.removeRows(
          from: part, sourceFiles: sources, output: options.outputDirectory, newName: name, options: options.shards,
          version: BuildInfo.version)
      else { continue }
      removed += Int64(result.rowsRemoved)
      entries.append(.replace(old: part, new: result.newPath))
      if let newPath = result.newPath, let old = state.parts[part] {
        entries.append(
          .part(
            PartRecord(
              table: old.table, partition: old.partition, path: newPath, rows: Int64(result.rows),
              bytes: Int64(result.bytes))))
      }
      superseded.append(part)
    }
    entries += paths.map { ManifestEntry.retract(path: $0) }
    try store.commit(entries, tag: "\(options.runID)-retract")
    try RetainedParts(outputDirectory: options.outputDirectory, retainNanos: options.retainNanos).retire(superseded)
    return removed
  }
}
