import Parquet
import ShardSchema

/// CREATE TABLE statements for the shard tables, generated from the same schemas the writer
/// uses, so they cannot drift apart.
public enum TableDDL {
  public enum Engine: String, CaseIterable, Sendable {
    case athena, trino, spark, duckdb
  }

  public static let tables: [(name: String, schema: Schema)] = [
    (S3AccessSchema.tableName, S3AccessSchema.schema),
    (CloudTrailSchema.tableName, CloudTrailSchema.schema),
    (RejectsSchema.tableName, RejectsSchema.schema),
  ]

  /// The SQL type of a column in `engine`.
  public static func type(of c: ColumnDescriptor, engine: Engine) -> String {
    switch (c.physicalType, c.logicalType) {
    case (.byteArray, _): return engine == .trino ? "varchar" : engine == .duckdb ? "VARCHAR" : "string"
    case (.int64, .timestampMicrosUTC):
      return engine == .duckdb ? "TIMESTAMPTZ" : "timestamp"
    case (.int32, .date): return engine == .duckdb ? "DATE" : "date"
    case (.int64, _): return engine == .duckdb ? "BIGINT" : "bigint"
    case (.int32, _): return engine == .duckdb ? "INTEGER" : engine == .trino ? "integer" : "int"
    case (.boolean, _): return engine == .duckdb ? "BOOLEAN" : "boolean"
    case (.int96, _), (.float, _), (.double, _), (.fixedLenByteArray, _):
      preconditionFailure("the shard tables have no \(c.physicalType) column (\(c.name))")
    }
  }

  static func quote(_ name: String, _ engine: Engine) -> String {
    engine == .trino || engine == .duckdb ? "\"\(name)\"" : "`\(name)`"
  }

  /// Statements for every table under `location` (the `--out` directory or its S3 copy).
  /// `present`, when known, names the tables that have parts: DuckDB cannot create a view over
  /// a glob that matches nothing, so its form leaves the others as a comment.
  /// `retainedList`: where the list of replaced parts still on disk is (`_manifest/retained.csv`),
  /// when the output has one: DuckDB's views leave those parts out.
  public static func statements(
    engine: Engine, location: String, database: String = "sigtrail", present: Set<String>? = nil,
    retainedList: String? = nil
  ) -> String {
    let base = location.hasSuffix("/") ? String(location.dropLast()) : location
    return tables.map { table in
      if engine == .duckdb, let present, !present.contains(table.name) {
        return "-- \(table.name): no parts under \(base)/\(table.name) yet; run this again once there are"
      }
      return statement(
        table: table.name, schema: table.schema, engine: engine, base: base, database: database,
        retainedList: retainedList)
    }.joined(separator: "\n\n") + "\n"
  }

  static func statement(
    table: String, schema: Schema, engine: Engine, base: String, database: String, retainedList: String? = nil
  ) -> String {
    let location = "\(base)/\(table)"
    let columns = schema.columns.map { "  \(quote($0.name, engine)) \(type(of: $0, engine: engine))" }
    switch engine {
    case .athena:
      // Partition projection: Athena derives the dt partitions from the range, no crawler or
      // MSCK REPAIR needed.
      return """
        CREATE EXTERNAL TABLE IF NOT EXISTS \(quote(database, engine)).\(quote(table, engine)) (
        \(columns.joined(separator: ",\n"))
        )
        PARTITIONED BY (`dt` string)
        STORED AS PARQUET
        LOCATION '\(location)/'
        TBLPROPERTIES (
          'projection.enabled' = 'true',
          'projection.dt.type' = 'date',
          'projection.dt.format' = 'yyyy-MM-dd',
          'projection.dt.range' = '2006-03-01,NOW',
          'projection.dt.interval' = '1',
          'projection.dt.interval.unit' = 'DAYS',
          'storage.location.template' = '\(location)/dt=${dt}/'
        );
        """
    case .trino:
      return """
        CREATE TABLE IF NOT EXISTS hive.\(quote(database, engine)).\(quote(table, engine)) (
        \((columns + ["  \"dt\" varchar"]).joined(separator: ",\n"))
        )
        WITH (format = 'PARQUET', partitioned_by = ARRAY['dt'], external_location = '\(location)');
        CALL hive.system.sync_partition_metadata('\(database)', '\(table)', 'ADD');
        """
    case .spark:
      return """
        CREATE TABLE IF NOT EXISTS \(quote(database, engine)).\(quote(table, engine)) (
        \((columns + ["  `dt` string"]).joined(separator: ",\n"))
        )
        USING PARQUET
        PARTITIONED BY (`dt`)
        LOCATION '\(location)';
        MSCK REPAIR TABLE \(quote(database, engine)).\(quote(table, engine));
        """
    case .duckdb:
      // A view over the files: new parts are visible without any refresh. Columns are cast to
      // the documented types so the view's schema does not depend on which parts exist.
      let select = schema.columns.map {
        "  CAST(\(quote($0.name, engine)) AS \(type(of: $0, engine: engine))) AS \(quote($0.name, engine))"
      }
      guard let retainedList else {
        return """
          CREATE OR REPLACE VIEW \(quote(table, engine)) AS
          SELECT
          \((select + ["  \"dt\""]).joined(separator: ",\n"))
          FROM read_parquet('\(location)/*/*.parquet', hive_partitioning = true, union_by_name = true);
          """
      }
      // Parts a compaction replaced stay a while for readers that listed them: not counted twice.
      return """
        CREATE OR REPLACE VIEW \(quote(table, engine)) AS
        SELECT
        \((select + ["  \"dt\""]).joined(separator: ",\n"))
        FROM read_parquet('\(location)/*/*.parquet', hive_partitioning = true, union_by_name = true, filename = true)
        WHERE filename NOT IN (
          SELECT '\(base)/' || part FROM read_csv('\(retainedList)', header = true, columns = {'part': 'VARCHAR'}));
        """
    }
  }
}
