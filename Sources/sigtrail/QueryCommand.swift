import ArgumentParser
import Foundation
import Parquet
import Query

struct QueryCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "query",
    abstract: "Filter and aggregate shards: where, select, group by, order by, limit.",
    discussion: """
      PATH is an output directory of `sigtrail index` (its --table is read, s3_access by default) \
      or Parquet files and directories (any flat Parquet: pyarrow's, DuckDB's, Spark's).

      --where grammar: comparisons (= != < <= > >=), COL in (a, b), COL not in (...), \
      COL startswith / endswith / contains 'text', COL within 10.0.0.0/8, 2001:db8::/32 (CIDR, \
      IPv4 and IPv6), COL is [not] null, combined with and, or, not and parentheses. Values are \
      'quoted' or bare; a time column takes ISO-8601 (2024-03-01, 2024-03-01T07:10:27Z) or an age \
      (7d, 12h, 30m: that long ago). An atom is false on null.

      --select takes columns or aggregates: count(), count(distinct COL), sum(COL), min(COL), \
      max(COL); with --group-by, the default is the group columns and count().

      Row groups are skipped by min/max statistics and, for equality on high-cardinality columns \
      (access keys, fingerprints, IPs, request and event ids), by bloom filters; --explain says \
      how many. Output is an aligned table on a terminal and JSON Lines in a pipe (--format).

      Examples:
        sigtrail query out --where "credential_akid = 'ASIA5FLZVX4OPVKKVBMX'" --select request_time,remote_ip,key
        sigtrail query out --since 7d --where "presign_version is not null and not remote_ip within 10.0.0.0/8" \\
          --group-by remote_ip --select "remote_ip,count(),count(distinct key)" --order-by "count desc"
        sigtrail query out --table cloudtrail --where "event_name in (TerminateInstances, StopInstances)" \\
          --select event_time,target_instance_ids --format csv
      """)

  @Argument(help: "Output directory, or Parquet files and directories.")
  var paths: [String]

  @Option(help: "Table of an output directory.")
  var table: TableName = .s3Access

  @Option(name: .customLong("where"), help: "Filter (see above).")
  var filter: String?

  @Option(
    help: ArgumentHelp(
      "Only rows at or after this time (ISO-8601 or an age like 7d), on the table's time column.", valueName: "time"),
    transform: OptionValue.time)
  var since: Int64?

  @Option(help: ArgumentHelp("Only rows before this time.", valueName: "time"), transform: OptionValue.time)
  var until: Int64?

  @Option(help: "Time column for --since/--until when reading plain Parquet files.")
  var timeColumn: String?

  @Option(help: "Columns and aggregates, comma-separated.")
  var select: String?

  @Option(help: "Group by these columns, comma-separated.")
  var groupBy: String?

  @Option(help: "Sort by selected columns or aggregates: \"count desc, remote_ip\".")
  var orderBy: String?

  @Option(help: "At most this many rows.")
  var limit: Int?

  @OptionGroup var output: ResultOptions

  func validate() throws {
    if let limit, limit < 0 { throw ValidationError("--limit must be positive") }
  }

  func run() throws {
    MallocTuning.applyForScans()
    let remote = RemoteOutputs()
    defer { remote.shutdown() }
    try orFail {
      let result = try ShardSource.consistently { try query(remote) }
      output.emit(header: result.header, rows: result.rows, statistics: result.statistics)
    }
  }

  /// Resolves the sources (a snapshot of an output directory) and runs the query.
  func query(_ remote: RemoteOutputs) throws -> QueryRunner.Result {
    let source = try ShardSource.resolve(paths, table: table, remote: remote)
    guard !source.files.isEmpty else { throw SourceError("no Parquet files under \(paths.joined(separator: " "))") }
    var request = ScanRequest(files: source.files, columns: [])
    request.predicate = try PredicateParser.parse(filter ?? "")
    request.timeColumn = timeColumn ?? source.timeColumn
    (request.since, request.until) = (since, until)
    if (request.since != nil || request.until != nil) && request.timeColumn == nil {
      throw SourceError("--since/--until need --time-column when reading plain Parquet files")
    }
    request.threads = output.threadCount
    request.cache = remote.files
    let defaults = try remote.files.open(source.files[0]).metadata.columns.map(\.name)
    let spec = try QuerySpec(
      select: select, groupBy: groupBy, orderBy: orderBy, limit: limit, defaultColumns: defaults)
    return try QueryRunner.run(request, spec: spec)
  }
}
