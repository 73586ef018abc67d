"""Helpers shared by the interop tests: find the binary, read shards with DuckDB and pyarrow,
compare rows with the generators' truth, look inside every zstd frame."""
import collections
import json
import os

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pytest
import zstandard

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def sigtrail_binary():
    explicit = os.environ.get("SIGTRAIL_BIN")
    if explicit:
        return explicit
    for config in ("release", "debug"):
        path = os.path.join(ROOT, ".build", config, "sigtrail")
        if os.path.exists(path):
            return path
    pytest.fail("sigtrail is not built: run `swift build` first or set SIGTRAIL_BIN")


def sigtrail(*args, ok=(0, 2)):
    """Runs `sigtrail ARGS`; 0 (all indexed) and 2 (completed with rejections) are both success."""
    import subprocess
    proc = subprocess.run([sigtrail_binary(), *map(str, args)], capture_output=True)
    assert proc.returncode in ok, f"exit {proc.returncode}: {proc.stderr.decode(errors='replace')[-2000:]}"
    return proc


def rows_by_duckdb(glob, timestamp_columns, date_columns=(), json_columns=()):
    """Every row keyed by (source_file, source_offset); timestamps as epoch microseconds."""
    con = duckdb.connect()
    columns = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM read_parquet('{glob}')").fetchall()]
    select = []
    for c in columns:
        if c in timestamp_columns:
            select.append(f"epoch_us({c}) AS {c}")
        elif c in date_columns:
            select.append(f"CAST({c} AS VARCHAR) AS {c}")
        else:
            select.append(c)
    got = {}
    for values in con.execute(f"SELECT {', '.join(select)} FROM read_parquet('{glob}')").fetchall():
        row = dict(zip(columns, values))
        for c in json_columns:
            if row[c] is not None:
                row[c] = json.loads(row[c])
        got[(row["source_file"], row["source_offset"])] = row
    return got


def rows_by_pyarrow(directory, timestamp_columns, date_columns=(), json_columns=()):
    table = ds.dataset(directory, format="parquet", partitioning="hive").to_table()
    arrays = {}
    for name in table.column_names:
        column = table.column(name)
        if name in timestamp_columns:
            column = pc.cast(column, pa.int64())
        elif name in date_columns:
            column = pc.cast(column, pa.string())
        values = column.to_pylist()
        if name in json_columns:
            values = [None if v is None else json.loads(v) for v in values]
        arrays[name] = values
    got = {}
    for i in range(table.num_rows):
        row = {name: arrays[name][i] for name in arrays if name != "dt"}
        got[(row["source_file"], row["source_offset"])] = row
    return got, table


def compare(expected, got, reader):
    assert len(got) == len(expected), f"{reader}: {len(got)} rows, expected {len(expected)}"
    mismatches = collections.Counter()
    examples = {}
    for key, want in expected.items():
        have = got.get(key)
        assert have is not None, f"{reader}: no row for {key}"
        for column, value in want.items():
            if have[column] != value:
                mismatches[column] += 1
                examples.setdefault(column, (key, value, have[column]))
    assert not mismatches, f"{reader}: mismatching columns {dict(mismatches)}; first of each: {examples}"


def decompress_every_zstd_frame(raw):
    out = []
    start = 0
    frames = 0
    while True:
        i = raw.find(b"\x28\xb5\x2f\xfd", start)
        if i < 0:
            break
        try:
            out.append(zstandard.ZstdDecompressor().decompressobj().decompress(raw[i:]))
            frames += 1
        except zstandard.ZstdError:
            pass
        start = i + 4
    assert frames > 0
    return b"".join(out)
