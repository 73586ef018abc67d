import LogBytes
import LogInput
import Manifest
import S3Store
import Shards

#if canImport(Glibc)
  import Glibc
#endif

public struct RepairError: Error, CustomStringConvertible {
  public var description: String
}

/// Repairs an output directory from what `VerifyJob` finds: damaged parts, parts no commit names
/// and damaged manifest segments are moved aside to `OUT/_damaged/` (kept for the record, out of
/// the readers' way), then every input whose rows lived in them is indexed again from its source,
/// its rows in the surviving parts retracted first, as a nightly run heals a deleted part. Inputs
/// whose source is gone are listed: their rows could not be recovered.
public struct RepairJob: Sendable {
  public var outputDirectory: String
  public var deep = false
  public var options: IndexOptions

  /// `options`: how to index again (its inputs are set here).
  public init(outputDirectory: String, options: IndexOptions) {
    self.outputDirectory = outputDirectory
    self.options = options
  }

  public struct Outcome: Sendable, Codable {
    public var verified: VerifyJob.Summary
    public var movedAside: [String] = []
    public var reindexed: [String] = []
    public var unrecoverable: [IndexSummary.FileNote] = []
    public var index: IndexSummary?
  }

  public func run(observer: some IndexObserver) throws -> Outcome {
    var job = VerifyJob(outputDirectory: outputDirectory)
    job.deep = deep
    var outcome = Outcome(verified: try job.run())
    guard outcome.verified.damaged else { return outcome }
    let aside = outputDirectory + "/_damaged"
    var salvaged: [String] = []
    for problem in outcome.verified.problems {
      let path = problem.path
      guard path.hasPrefix(outputDirectory + "/") else { continue }
      let relative = String(path.dropFirst(outputDirectory.count + 1))
      if relative.hasPrefix("_manifest/") {
        // A damaged segment: what it named is read line by line, then it is set aside.
        if let text = FileBytes.read(path).map({ String(decoding: $0, as: UTF8.self) }) {
          let found = ManifestFormat.salvage(text)
          salvaged += found.inputs
          for part in found.parts where access("\(outputDirectory)/\(part)", F_OK) == 0 {
            try move(part, to: aside)
            outcome.movedAside.append(part)
          }
        }
        try move(relative, to: aside)
        outcome.movedAside.append(relative)
      } else if access(path, F_OK) == 0 {
        // A damaged part, or one no commit names.
        try move(relative, to: aside)
        outcome.movedAside.append(relative)
      }
    }
    // The inputs to index again: those with rows in a part now gone, and those a set-aside segment
    // named (the manifest no longer knows them).
    let state = try ManifestStore(outputDirectory: outputDirectory).load()
    var wanted = Set(IndexJob.inputsOfMissingParts(state, outputDirectory: outputDirectory).keys)
    for path in salvaged where state.inputs[path] == nil { wanted.insert(path) }
    var inputs: [String] = []
    for path in wanted.sorted() {
      var st = stat()
      if S3URL.isS3(path) || PathText.statFile(path, &st) == 0 {
        inputs.append(path)
      } else {
        outcome.unrecoverable.append(
          IndexSummary.FileNote(
            path: path, offset: nil, reason: "its rows were in a damaged or missing part and its source is gone"))
      }
    }
    outcome.reindexed = inputs
    if !inputs.isEmpty {
      var options = options
      options.inputs = inputs
      outcome.index = try IndexJob(options: options).run(observer: observer)
    }
    // Parts still named but gone held only rows that could not be recovered: the manifest lets
    // them go, so the directory verifies whole (what was lost is listed above).
    let after = try ManifestStore(outputDirectory: outputDirectory).load()
    let gone = after.parts.keys.sorted().filter { access("\(outputDirectory)/\($0)", F_OK) != 0 }
    if !gone.isEmpty {
      try ManifestStore(outputDirectory: outputDirectory).commit(
        gone.map { .replace(old: $0, new: nil) }, tag: "\(options.runID)-lost")
    }
    return outcome
  }

  /// Moves `relative` (inside the output) to the same place under `directory`.
  func move(_ relative: String, to directory: String) throws {
    let target = directory + "/" + relative
    try makeDirectories(String(target[..<target.lastIndex(of: "/")!]))
    guard rename(outputDirectory + "/" + relative, target) == 0 else {
      throw RepairError(description: "cannot move \(relative) aside: \(String(cString: strerror(errno)))")
    }
  }
}
