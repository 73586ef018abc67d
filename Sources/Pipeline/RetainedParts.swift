import Manifest
import Shards

#if canImport(Glibc)
  import Glibc
#endif

/// Parts a compaction or retraction replaced stay where they are for `retainNanos` after the
/// commit that replaced them, so a reader that listed the directory before that commit (a slow
/// Athena or DuckDB query) can still open them; the first run after that removes them. While
/// they stay, `_manifest/retained.csv` names them, so a reader that lists the directory can
/// leave them out (the DuckDB views of `sigtrail ddl` do); sigtrail's own readers read only the
/// parts the manifest names.
struct RetainedParts {
  let outputDirectory: String
  let retainNanos: Int64

  var store: ManifestStore { ManifestStore(outputDirectory: outputDirectory) }

  /// Parts a commit has just replaced: deleted at once without retention, else listed.
  func retire(_ parts: [String]) throws {
    guard retainNanos > 0 else {
      for part in parts { unlink("\(outputDirectory)/\(part)") }
      return
    }
    var list = store.retainedList()
    let before = list.count
    list.formUnion(parts)
    if list.count != before { try store.writeRetainedList(list) }
  }

  /// Deletes the replaced parts whose time is up, and rewrites the list from the manifest (the
  /// authority, should a concurrent fleet worker's update of the list have been lost). Returns
  /// how many parts were removed and how many stay.
  func sweep(state: ManifestState, now: Int64 = ManifestStore.nowNanos()) throws -> (removed: Int, retained: Int) {
    var removed = 0
    var list = Set<String>()
    for (part, replacedAt) in state.replaced where state.parts[part] == nil {
      let path = "\(outputDirectory)/\(part)"
      guard access(path, F_OK) == 0 else { continue }
      if now - replacedAt >= retainNanos {
        if unlink(path) == 0 { removed += 1 }
      } else {
        list.insert(part)
      }
    }
    // Written even when empty, so a view that reads it always finds it.
    let listPath = "\(store.directory)/\(ManifestStore.retainedListName)"
    if access(listPath, F_OK) != 0 || list != store.retainedList() { try store.writeRetainedList(list) }
    return (removed, list.count)
  }
}
