import ArgumentParser
import Foundation
import Manifest
import Shards

struct DDL: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "ddl",
    abstract: "Print CREATE TABLE statements for the shard tables (s3_access, cloudtrail, rejects).",
    discussion: """
      The statements come from the schemas the writer uses, with the dt=YYYY-MM-DD partition:
        athena  external tables with partition projection (no crawler, no MSCK REPAIR)
        trino   Hive-connector tables, then sync_partition_metadata (timestamps follow the
                catalog's hive.timestamp-precision)
        spark   USING PARQUET tables, then MSCK REPAIR TABLE
        duckdb  views over read_parquet with hive partitioning (new parts show up at once;
                parts a compaction replaced, kept a while for running queries, are left out)

      Examples:
        sigtrail ddl --engine duckdb --location out | duckdb hunt.db
        sigtrail ddl --engine athena --location s3://my-bucket/sigtrail --database security
      """)

  @Option(help: "Target engine: \(TableDDL.Engine.allCases.map(\.rawValue).joined(separator: ", ")).")
  var engine: TableDDL.Engine

  @Option(help: "Where the output directory lives: a local path or a URI (s3://bucket/prefix).")
  var location = "out"

  @Option(help: "Database (schema) for Athena, Trino and Spark tables.")
  var database = "sigtrail"

  func run() throws {
    // For a local output directory, say which tables have parts (DuckDB's views need some).
    var present: Set<String>?
    let base = location.hasSuffix("/") ? String(location.dropLast()) : location
    let list = "\(base)/_manifest/\(ManifestStore.retainedListName)"
    var retainedList: String? = list
    if !location.contains("://") {
      present = Set(
        PartitionLayout.listPartFiles(output: location).compactMap { $0.split(separator: "/").first.map(String.init) })
      // Written by every run since retention exists; an older output's views read without it.
      if !FileManager.default.fileExists(atPath: list) { retainedList = nil }
    }
    print(
      TableDDL.statements(
        engine: engine, location: location, database: database, present: present,
        retainedList: retainedList),
      terminator: "")
  }
}

extension TableDDL.Engine: ExpressibleByArgument {}
