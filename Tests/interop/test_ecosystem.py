"""At home in the data ecosystem: DDL for Athena, Trino, Spark and DuckDB generated from the
writer's schema, `sigtrail inspect` against pyarrow's view of the same files, and compaction that
keeps every row, the time order and the manifest right."""
import collections
import json
import os
import re
import shutil
import subprocess
import sys

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import ROOT, sigtrail

TABLES = ("s3_access", "cloudtrail", "rejects")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    base = tmp_path_factory.mktemp("eco")
    subprocess.run([sys.executable, os.path.join(ROOT, "tools", "gen_corpus.py"), "--out", str(base / "c" / "s3"),
                    "--mb", "2", "--seed", "21", "--file-kb", "48"], check=True, capture_output=True)
    subprocess.run([sys.executable, os.path.join(ROOT, "tools", "gen_cloudtrail.py"), "--out", str(base / "c" / "ct"),
                    "--records", "500", "--seed", "21"], check=True, capture_output=True)
    return base / "c"


@pytest.fixture(scope="module")
def shards(corpus, tmp_path_factory):
    out = tmp_path_factory.mktemp("eco-out") / "out"
    sigtrail("index", corpus, "--out", out, "--quiet", "--show-rejections", "0")
    return out


def keys(out, table):
    con = duckdb.connect()
    return collections.Counter(con.execute(
        f"SELECT source_file, source_offset FROM read_parquet('{out}/{table}/*/part-*.parquet')").fetchall())


def parts(out, table):
    return sorted((out / table).glob("dt=*/part-*.parquet"))


def test_duckdb_ddl_creates_views_over_real_shards(shards):
    ddl = sigtrail("ddl", "--engine", "duckdb", "--location", shards, ok=(0,)).stdout.decode()
    con = duckdb.connect()
    con.execute(ddl)
    for table in TABLES:
        n = con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
        assert n == sum(pq.ParquetFile(p).metadata.num_rows for p in parts(shards, table)) > 0
    described = {r[0]: r[1] for r in con.execute('DESCRIBE "s3_access"').fetchall()}
    assert described["request_time"] == "TIMESTAMP WITH TIME ZONE"
    assert described["http_status"] == "INTEGER" and described["credential_date"] == "DATE"
    assert described["dt"] in ("VARCHAR", "DATE")
    # The cookbook's questions run against the views.
    got = con.execute('SELECT count(DISTINCT signature_sha256) FROM "s3_access" WHERE presign_version IS NOT NULL'
                      ).fetchone()[0]
    assert got > 0


def test_duckdb_ddl_leaves_tables_without_parts_as_comments(tmp_path):
    log = tmp_path / "in" / "a.log"
    log.parent.mkdir()
    log.write_bytes(b'79a5 b [06/Feb/2019:00:00:38 +0000] 192.0.2.3 - 3E57427F33A59F07 REST.GET.OBJECT k '
                    b'"GET /k HTTP/1.1" 200 - 1 1 1 1 "-" "curl" -\n')
    sigtrail("index", log.parent, "--out", tmp_path / "out", ok=(0,))
    ddl = sigtrail("ddl", "--engine", "duckdb", "--location", tmp_path / "out", ok=(0,)).stdout.decode()
    assert "-- cloudtrail: no parts" in ddl and "-- rejects: no parts" in ddl
    con = duckdb.connect()
    con.execute(ddl)
    assert con.execute('SELECT count(*) FROM "s3_access"').fetchone()[0] == 1


def ddl_columns(statement):
    """(name, type) of each column of a CREATE TABLE statement."""
    body = statement[statement.index("(") + 1: statement.index("\n)")]
    cols = []
    for line in body.strip().split(",\n"):
        m = re.match(r'\s*[`"](\w+)[`"] (.+)$', line)
        assert m, line
        cols.append((m.group(1), m.group(2)))
    return cols


ARROW_TO_SQL = {
    "athena": {"string": "string", "int64": "bigint", "int32": "int", "bool": "boolean", "date32[day]": "date",
               "timestamp[us, tz=UTC]": "timestamp"},
    "spark": {"string": "string", "int64": "bigint", "int32": "int", "bool": "boolean", "date32[day]": "date",
              "timestamp[us, tz=UTC]": "timestamp"},
    "trino": {"string": "varchar", "int64": "bigint", "int32": "integer", "bool": "boolean", "date32[day]": "date",
              "timestamp[us, tz=UTC]": "timestamp"},
}


@pytest.mark.parametrize("engine", ["athena", "trino", "spark"])
def test_ddl_matches_the_schema_the_writer_produces(shards, engine):
    text = sigtrail("ddl", "--engine", engine, "--location", "s3://bucket/prefix", ok=(0,)).stdout.decode()
    statements = [s for s in re.split(r"\n\n", text.strip()) if "CREATE" in s]
    assert len(statements) == 3
    for table, statement in zip(TABLES, statements):
        assert f"s3://bucket/prefix/{table}" in statement
        schema = pq.read_schema(parts(shards, table)[0])
        expected = [(f.name, ARROW_TO_SQL[engine][str(f.type)]) for f in schema]
        columns = ddl_columns(statement)
        if engine != "athena":  # Athena declares dt under PARTITIONED BY, the others as a column
            assert columns[-1][0] == "dt"
            columns = columns[:-1]
        assert columns == expected
    if engine == "athena":
        assert "'projection.dt.type' = 'date'" in text and "storage.location.template" in text


def test_inspect_agrees_with_pyarrow(shards):
    report = json.loads(sigtrail("inspect", shards, "--json", "--row-groups", ok=(0,)).stdout)
    assert len(report) == sum(len(parts(shards, t)) for t in TABLES)
    for r in report:
        meta = pq.ParquetFile(r["path"]).metadata
        assert r["rows"] == meta.num_rows and r["rowGroups"] == meta.num_row_groups
        assert r["bytes"] == os.path.getsize(r["path"])
        assert [c["name"] for c in r["columns"]] == [meta.schema.column(i).name for i in range(meta.num_columns)]
        first = r["columns"][0]  # the time column every table is sorted by
        lo = min(meta.row_group(g).column(0).statistics.min for g in range(meta.num_row_groups))
        hi = max(meta.row_group(g).column(0).statistics.max for g in range(meta.num_row_groups))
        assert first["min"] == lo.strftime("%Y-%m-%dT%H:%M:%SZ") and first["max"] == hi.strftime("%Y-%m-%dT%H:%M:%SZ")
        for i, c in enumerate(r["columns"]):
            chunk_bytes = sum(meta.row_group(g).column(i).total_compressed_size for g in range(meta.num_row_groups))
            assert c["compressedBytes"] == chunk_bytes
            assert c["codec"] == "ZSTD"
        if r["metadata"]["sigtrail.table"] == "s3_access":
            bloom = {c["name"] for c in r["columns"] if c["bloomFilterBytes"] > 0}
            assert {"request_id", "signature_sha256"} <= bloom


def test_duckdb_reads_our_bloom_filters(shards):
    """Filters are sized in whole blocks, not powers of two: DuckDB must find every value it holds
    and rule out values it does not."""
    con = duckdb.connect()
    for path in parts(shards, "s3_access"):
        meta = pq.ParquetFile(path).metadata
        for column in ("request_id", "key", "remote_ip"):
            i = [meta.schema.column(c).name for c in range(meta.num_columns)].index(column)
            lengths = [meta.row_group(g).column(i).bloom_filter_length for g in range(meta.num_row_groups)]
            assert all(n and n > 0 for n in lengths)
            present = con.execute(f"SELECT DISTINCT {column} FROM '{path}' WHERE {column} IS NOT NULL "
                                  "ORDER BY 1 LIMIT 200").fetchall()
            for (value,) in present:
                probe = con.execute("SELECT bloom_filter_excludes FROM parquet_bloom_probe(?, ?, ?)",
                                    [str(path), column, value]).fetchall()
                assert not all(e for (e,) in probe), (path, column, value)
            excluded = 0
            for k in range(200):
                probe = con.execute("SELECT bloom_filter_excludes FROM parquet_bloom_probe(?, ?, ?)",
                                    [str(path), column, f"absent-{k}"]).fetchall()
                excluded += sum(1 for (e,) in probe if e)
            assert excluded >= 0.95 * 200 * meta.num_row_groups


def chunk_encodings(out, table):
    found = set()
    for path in parts(out, table):
        meta = pq.ParquetFile(path).metadata
        for g in range(meta.num_row_groups):
            for c in range(meta.num_columns):
                found.update(meta.row_group(g).column(c).encodings)
    return found


def test_plain_encodings_for_older_readers(corpus, shards, tmp_path):
    """By default ids, hashes and times take the DELTA encodings; --plain-encodings writes only
    PLAIN and dictionaries (Spark before 3.3), with the same rows."""
    assert {"DELTA_LENGTH_BYTE_ARRAY", "DELTA_BINARY_PACKED"} <= chunk_encodings(shards, "s3_access")
    plain = tmp_path / "plain"
    sigtrail("index", corpus, "--out", plain, "--quiet", "--show-rejections", "0", "--plain-encodings")
    con = duckdb.connect()
    for table in ("s3_access", "cloudtrail"):
        assert chunk_encodings(plain, table) <= {"PLAIN", "RLE", "RLE_DICTIONARY"}
        query = f"SELECT * EXCLUDE (source_file) FROM read_parquet('{{}}/{table}/*/part-*.parquet', hive_partitioning = false)"
        a, b = query.format(shards), query.format(plain)
        assert con.execute(f"SELECT count(*) FROM ({a} EXCEPT ALL {b})").fetchone()[0] == 0
        assert con.execute(f"SELECT count(*) FROM ({b} EXCEPT ALL {a})").fetchone()[0] == 0
        assert con.execute(f"SELECT count(*) FROM ({a})").fetchone()[0] > 0


def test_inspect_reads_files_written_by_pyarrow_and_duckdb(tmp_path):
    t = pa.table({"s": ["b", "a", None], "i": [3, 1, 2], "t": pa.array([1, 2, 3], pa.timestamp("ms", tz="UTC"))})
    pq.write_table(t, tmp_path / "p.parquet")
    duckdb.connect().execute(f"COPY (SELECT * FROM '{tmp_path}/p.parquet') TO '{tmp_path}/d.parquet'")
    report = json.loads(sigtrail("inspect", tmp_path, "--json", ok=(0,)).stdout)
    assert [r["rows"] for r in report] == [3, 3]
    for r in report:
        cols = {c["name"]: c for c in r["columns"]}
        assert (cols["i"]["min"], cols["i"]["max"]) == ("1", "3")
        assert (cols["s"]["min"], cols["s"]["max"]) == ("a", "b") and cols["s"]["nulls"] == 1
        assert cols["t"]["min"] == "1970-01-01T00:00:00Z"
    (tmp_path / "bad.parquet").write_bytes(b"PAR1 this is not parquet PAR1")
    proc = sigtrail("inspect", tmp_path / "bad.parquet", ok=(1,))
    assert b"bad.parquet" in proc.stderr and b"corrupt footer" in proc.stderr


def test_compaction_keeps_rows_order_and_manifest(corpus, tmp_path):
    tree = tmp_path / "tree"
    shutil.copytree(corpus, tree)
    out = tmp_path / "out"
    # Three fleet workers and small parts: many parts per partition, as after many nights.
    for w in range(3):
        sigtrail("index", tree, "--out", out, "--quiet", "--show-rejections", "0", "--worker", w, "--workers", 3,
                 "--part-rows", 400)
    before = {t: keys(out, t) for t in TABLES}
    count_before = sum(len(parts(out, t)) for t in TABLES)
    summary = json.loads(sigtrail("compact", out, "--json", ok=(0,)).stdout)
    assert summary["partsBefore"] > summary["partsAfter"] > 0
    assert sum(len(parts(out, t)) for t in TABLES) == count_before - summary["partsBefore"] + summary["partsAfter"]
    assert {t: keys(out, t) for t in TABLES} == before
    for p in parts(out, "s3_access"):
        times = pq.read_table(p, columns=["request_time"]).column(0).to_pylist()
        assert times == sorted(times)
    # Compacting again has nothing to do.
    assert json.loads(sigtrail("compact", out, "--json", ok=(0,)).stdout)["partsBefore"] == 0
    # The manifest followed the rows: a rerun is quiet, and a changed file's rows are found in
    # the merged parts and replaced, not counted twice.
    rerun = json.loads(sigtrail("index", tree, "--out", out, "--json", "--show-rejections", "0", ok=(0,)).stdout)
    assert rerun["parts"] == []
    victim = sorted(p for p in (tree / "s3").rglob("*") if p.is_file() and p.suffix == "")[0]
    victim.write_bytes(victim.read_bytes()[: victim.stat().st_size // 3].rsplit(b"\n", 1)[0] + b"\n")
    changed = json.loads(sigtrail("index", tree, "--out", out, "--json", "--show-rejections", "0").stdout)
    assert changed["filesChanged"] == 1 and changed["rowsRetracted"] > 0
    fresh = tmp_path / "fresh"
    sigtrail("index", tree, "--out", fresh, "--quiet", "--show-rejections", "0")
    assert {t: keys(out, t) for t in TABLES} == {t: keys(fresh, t) for t in TABLES}
