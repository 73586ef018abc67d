import ArgumentParser
import Shards

@main
struct Sigtrail: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "sigtrail",
    abstract: "Index S3 server access logs and CloudTrail into Parquet shards for presigned-URL hunting.",
    discussion: """
      Attackers who reach an AWS workload can mint presigned S3 URLs. Minting is never logged; \
      only use is, in S3 server access logs and CloudTrail data events. sigtrail turns those \
      logs into compact, zstd-compressed Parquet shards with typed presign columns (signing key, \
      signing time, expiry, URL age, fingerprints of signatures and session tokens) and \
      CloudTrail's credential lineage, then hunts in them, or lets DuckDB, Athena, Trino, Spark \
      and pyarrow read them directly.

      Shards never contain a usable signature or session token: those values are replaced by \
      their SHA-256 fingerprint before any byte is written.

      A night, then a hunt:
        sigtrail index /data/s3-logs /data/cloudtrail --out shards      (again every night: incremental)
        sigtrail hunt after-termination shards
        sigtrail query shards --where "credential_akid = 'ASIA...'" --select request_time,remote_ip,key
      """,
    version: BuildInfo.version,
    subcommands: [
      Index.self, HuntCommand.self, ReportCommand.self, QueryCommand.self, Compact.self, Verify.self, Inspect.self,
      DDL.self,
    ])
}
