import Manifest
import Shards

#if canImport(Glibc)
  import Glibc
#endif

/// Removes what a killed run left: parts it renamed into place but never committed to the
/// manifest and temporary files; and replaced parts whose retention is over (`RetainedParts`).
/// Both `index` and `compact` run it first, so either rolls the other forward. Only parts of
/// runs the manifest knows (they commit a `begin` before writing) and that are certainly dead
/// are touched: a run is alive while it holds its lock, and a concurrent fleet worker's lock is
/// tested, not assumed. Part files of unknown runs (copied in, or older than the manifest) are
/// left alone.
struct OrphanSweep {
  let outputDirectory: String
  let runID: String
  let slice: (index: Int, of: Int)
  let state: ManifestState
  let retainNanos: Int64

  init(options: IndexOptions, state: ManifestState) {
    self.init(
      outputDirectory: options.outputDirectory, runID: options.runID, slice: options.slice, state: state,
      retainNanos: options.retainNanos)
  }

  init(outputDirectory: String, runID: String, slice: (index: Int, of: Int), state: ManifestState, retainNanos: Int64) {
    self.outputDirectory = outputDirectory
    self.runID = runID
    self.slice = slice
    self.state = state
    self.retainNanos = retainNanos
  }

  /// Returns how many parts were removed: uncommitted ones, and replaced ones whose time is up.
  func run() throws -> Int {
    var removed = try RetainedParts(outputDirectory: outputDirectory, retainNanos: retainNanos).sweep(state: state)
      .removed
    var deadRuns: [String: Bool] = [:]
    for relative in PartitionLayout.listPartFiles(output: outputDirectory) {
      let name = String(relative.split(separator: "/").last ?? "")
      let temporary = name.hasPrefix(".") && name.hasSuffix(".tmp")
      guard
        temporary
          || (name.hasSuffix(".parquet") && state.parts[relative] == nil && state.replaced[relative] == nil)
      else { continue }
      guard let run = PartitionLayout.runID(ofPart: name), run != runID, state.runs.contains(run) else {
        continue
      }
      let dead = deadRuns[run] ?? isDead(run: run)
      deadRuns[run] = dead
      guard dead else { continue }
      if unlink("\(outputDirectory)/\(relative)") == 0 && !temporary { removed += 1 }
    }
    return removed
  }

  /// A run is dead if its lock can be taken, or if it is our own lock (which we hold).
  private func isDead(run: String) -> Bool {
    let lock = OutputLock.lockName(forRunID: run)
    if lock == OutputLock.lockName(slice: slice) { return true }
    if lock == OutputLock.mainLockName { return true }  // excluded by our shared or exclusive hold
    return !OutputLock.isHeld(directory: outputDirectory, name: lock)
  }
}
