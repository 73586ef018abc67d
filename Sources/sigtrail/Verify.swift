import ArgumentParser
import Foundation
import Pipeline
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

  func run() throws {
    guard FileManager.default.fileExists(atPath: out + "/_manifest") else {
      FileHandle.standardError.write(Data("sigtrail: \(out) has no manifest (not a sigtrail output directory?)\n".utf8))
      throw ExitCode.failure
    }
    if OutputLock.isHeld(directory: out, name: OutputLock.mainLockName) {
      FileHandle.standardError.write(
        Data("note: a run is writing to \(out): parts it has not committed yet show as not named by any commit\n".utf8))
    }
    var job = VerifyJob(outputDirectory: out)
    job.deep = deep
    let summary: VerifyJob.Summary
    do {
      summary = try job.run()
    } catch {
      FileHandle.standardError.write(Data("sigtrail: verify failed: \(error)\n".utf8))
      throw ExitCode.failure
    }
    if json {
      try printJSONSummary(summary)
    } else {
      for p in summary.problems { print("\(p.path): \(p.problem)") }
      print(
        "\(summary.segments) manifest segments, \(summary.parts) parts (\(summary.rows) rows, \(summary.bytes) bytes)"
          + " checked\(deep ? " page by page" : ""): "
          + (summary.damaged ? "\(summary.problems.count) problems" : "no problem"))
    }
    if summary.damaged { throw ExitCode.failure }
  }
}
