import ArgumentParser
import Shards

@main
struct Sigtrail: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "sigtrail",
    abstract: "Index S3 server access logs and CloudTrail into Parquet shards for presigned-URL hunting.",
    discussion: """
      Attackers who reach an AWS workload can mint presigned S3 URLs. Minting is never logged; \
      only use is, in S3 server access logs. sigtrail turns those logs into compact, \
      zstd-compressed Parquet shards with typed presign columns (signing key, signing time, \
      expiry, URL age, fingerprints of signatures and session tokens) that DuckDB, Athena, \
      Trino, Spark and pyarrow read directly.

      Shards never contain a usable signature or session token: those values are replaced by \
      their SHA-256 fingerprint before any byte is written.
      """,
    version: BuildInfo.version,
    subcommands: [Index.self, HuntCommand.self, QueryCommand.self, Compact.self, Inspect.self, DDL.self])
}
