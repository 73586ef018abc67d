import ArgumentParser
import Foundation
import Pipeline
import S3Store
import Shards

struct Verify: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Check an output directory against its manifest: segments, parts, sizes, rows, pages.",
    discussion: """
      Every manifest segment must read as a complete commit (its end line matches what precedes \
      it); every part a commit names must be there with the size and row count the manifest \
      records and a readable footer; no part file may be there that no commit names (readers \
      would count its rows). --deep also reads every page of every part, checking each page's \
      CRC-32 and decompressing it. Prints each problem with its file and exits 1 if there is any, \
      0 if the directory is whole.

      Examples:
        sigtrail verify out
        sigtrail verify out --deep --json > verify.json
      """)

  @Argument(help: "An output directory of sigtrail index.")
  var out: String

  @Flag(help: "Read every page of every part (slower: reads all the shards).")
  var deep = false

  @Flag(help: "Print the result as JSON.")
  var json = false

  @Flag(
    help: ArgumentHelp(
      "Repair what is found: damaged parts, parts no commit names and damaged manifest segments are moved to OUT/_damaged/, and every input whose rows they held is indexed again from its source (an input whose source is gone is listed)."
    ))
  var repair = false

  @OptionGroup var retention: RetainOption

  func run() throws {
    guard FileManager.default.fileExists(atPath: out + "/_manifest") else {
      Streams.error("sigtrail: \(out) has no manifest (not a sigtrail output directory?)\n")
      throw ExitCode.failure
    }
    if OutputLock.isHeld(directory: out, name: OutputLock.mainLockName) {
      Streams.error(
        "note: a run is writing to \(out): parts it has not committed yet show as not named by any commit\n")
    }
    if repair { return try runRepair() }
    var job = VerifyJob(outputDirectory: out)
    job.deep = deep
    let summary = try orFail("verify failed") { try job.run() }
    if json {
      try printJSONSummary(summary)
    } else {
      for p in summary.problems { print("\(p.path): \(p.problem)") }
      print(
        "\(summary.segments) manifest segments, \(summary.parts) parts (\(summary.rows) rows, \(summary.bytes) bytes)"
          + " checked\(deep ? " page by page" : ""): "
          + (summary.damaged ? "\(summary.problems.count) problems" : "no problem")
          + (summary.retained > 0
            ? "; \(summary.retained) replaced parts retained for readers that listed them (see --retain)" : ""))
    }
    if summary.damaged { throw ExitCode.failure }
  }

  func runRepair() throws {
    let lock = try orFail { try OutputLock(directory: out, name: OutputLock.mainLockName) }
    defer { lock.release() }
    let runID = Index.makeRunID(Date()) + "-repair"
    var options = IndexOptions(inputs: [], outputDirectory: out, runID: runID)
    options.s3 = S3Settings(environment: ProcessInfo.processInfo.environment)
    options.retainNanos = retention.retain.nanos
    var job = RepairJob(outputDirectory: out, options: options)
    job.deep = deep
    let observer = ConsoleObserver(showRejections: 0, showProgress: false)
    let outcome = try orFail("repair failed") { try job.run(observer: observer) }
    if json {
      try printJSONSummary(outcome)
    } else {
      for p in outcome.verified.problems { print("\(p.path): \(p.problem)") }
      for moved in outcome.movedAside { print("moved aside: \(moved) -> _damaged/\(moved)") }
      for path in outcome.reindexed { print("indexed again: \(path)") }
      for note in outcome.unrecoverable { print("not recovered: \(note.path): \(note.reason)") }
      if let index = outcome.index { print(Index.describe(index, listed: 0)) }
      print(
        outcome.verified.damaged
          ? "repaired: \(outcome.movedAside.count) files moved aside, \(outcome.reindexed.count) inputs indexed again, "
            + "\(outcome.unrecoverable.count) not recovered"
          : "no problem to repair")
    }
    if !outcome.unrecoverable.isEmpty { throw ExitCode(Index.completedWithRejections) }
  }
}
