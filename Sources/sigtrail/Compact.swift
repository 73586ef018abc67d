import ArgumentParser
import Foundation
import Pipeline
import Shards

struct Compact: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Merge the small parts of each partition into well-sized ones, atomically.",
    discussion: """
      Nightly runs leave many small parts (one set per run and worker). Compaction merges the \
      parts of a partition that hold fewer than half of --part-rows rows into parts of up to \
      --part-rows rows, sorted by time. Each merged part is committed to the manifest in place \
      of the parts it replaces, so row counts, the manifest and any reader stay right whatever \
      happens (a crash leaves the old parts or the new one, and the next run cleans up). The \
      replaced parts are deleted at once, or kept for --retain so that queries which listed \
      them can finish (then the first run after that deletes them). It takes the output \
      directory's lock: no index run can overlap it.

      Examples:
        sigtrail compact out
        sigtrail compact out --table s3_access --partition dt=2023-11-15 --dry-run
      """)

  @Argument(help: "Output directory of `sigtrail index`.")
  var out: String

  @Option(help: "Only this table (s3_access, cloudtrail, rejects); repeatable.")
  var table: [TableName] = []

  @Option(help: "Only this partition (dt=YYYY-MM-DD); repeatable.")
  var partition: [String] = []

  @Option(help: "Rows per merged part.")
  var partRows = 262_144

  @Option(help: "Rows per row group in merged parts.")
  var rowGroupRows = 65_536

  @Option(help: "zstd level of merged parts (1-19).")
  var zstdLevel: Int32 = 1

  @Flag(
    help:
      "Write only PLAIN and dictionary encodings, no DELTA_*: for Spark before 3.3 and Iceberg's vectorized Spark reader. Shards come out about 2% larger."
  )
  var plainEncodings = false

  @OptionGroup var retention: RetainOption

  @Flag(help: "Only report what would be merged.")
  var dryRun = false

  @Flag(help: "Print the summary as JSON.")
  var json = false

  func validate() throws {
    for p in partition where !p.hasPrefix("dt=") { throw ValidationError("--partition looks like dt=YYYY-MM-DD") }
    guard partRows >= 2, rowGroupRows >= 1, (1...19).contains(zstdLevel) else {
      throw ValidationError("--part-rows >= 2, --row-group-rows >= 1, --zstd-level 1...19")
    }
  }

  func run() throws {
    guard FileManager.default.fileExists(atPath: out + "/_manifest") else {
      Streams.error("sigtrail: \(out) has no manifest (not a sigtrail output directory?)\n")
      throw ExitCode.failure
    }
    let lock = try orFail { try OutputLock(directory: out) }
    defer { lock.release() }
    var job = CompactJob(outputDirectory: out, runID: Index.makeRunID(Date()))
    if !table.isEmpty { job.tables = table.map(\.rawValue) }
    job.partitions = Set(partition)
    job.shards.partRows = partRows
    job.shards.rowGroupRows = rowGroupRows
    job.shards.zstdLevel = zstdLevel
    job.shards.deltaEncodings = !plainEncodings
    job.dryRun = dryRun
    job.retainNanos = retention.retain.nanos
    let summary = try orFail("compaction failed") { try job.run() }
    if json {
      try printJSONSummary(summary)
    } else {
      if summary.replacedPartsRemoved > 0 {
        print("removed \(summary.replacedPartsRemoved) parts replaced more than --retain ago or left uncommitted")
      }
      let verb = dryRun ? "would merge" : "merged"
      print(
        "\(verb) \(summary.partsBefore) parts into \(summary.partsAfter) in \(summary.partitionsCompacted) partitions"
          + " (\(summary.rows) rows" + (dryRun ? ")" : ", \(summary.bytesBefore) -> \(summary.bytesAfter) bytes)"))
    }
  }
}
