"""Shards read back by real readers (DuckDB, pyarrow), compared with what the generator wrote.

The corpus generator writes down, for every line, the exact row sigtrail must produce or the
reason it must reject the line; these tests run `sigtrail index` on a fresh corpus and check every
column of every row through DuckDB and through pyarrow, the summary's reconciliation, the Parquet
metadata other engines rely on, and that no planted secret survives in any output byte.
"""
import collections
import datetime
import json
import os
import stat
import subprocess
import sys
import urllib.parse

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import (ROOT, compare, decompress_every_zstd_frame, rows_by_duckdb, rows_by_pyarrow, sigtrail,
                      sigtrail_binary)

TIMESTAMP_COLUMNS = ("request_time", "signed_at", "expires_at")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    base = tmp_path_factory.mktemp("s3")
    corpus, out = base / "corpus", base / "out"
    truth_path, secrets_path = base / "truth.jsonl", base / "secrets.txt"
    subprocess.run(
        [sys.executable, os.path.join(ROOT, "tools", "gen_corpus.py"), "--out", str(corpus), "--mb", "4",
         "--seed", "11", "--file-kb", "96", "--truth", str(truth_path), "--secrets", str(secrets_path)],
        check=True)
    # Small parts and row groups so that several of each exist, as in a big run.
    proc = sigtrail("index", str(corpus), "--out", str(out), "--json", "--show-rejections", "-1",
         "--part-rows", "3000", "--row-group-rows", "1000")
    truth = [json.loads(line) for line in open(truth_path)]
    secrets = [s for s in open(secrets_path).read().split("\n") if s]
    return {
        "corpus": str(corpus), "out": str(out), "truth": truth, "secrets": secrets,
        "summary": json.loads(proc.stdout), "stdout": proc.stdout, "stderr": proc.stderr,
        "parts": sorted(str(p) for p in (out / "s3_access").rglob("*.parquet")),
    }


def expected_rows(run):
    rows = {}
    for t in run["truth"]:
        if "row" in t:
            row = dict(t["row"])
            row["source_file"] = os.path.join(run["corpus"], t["file"])
            rows[(row["source_file"], t["offset"])] = row
    return rows


def test_summary_reconciles_with_every_line(run):
    s, truth = run["summary"], run["truth"]
    expected_rejects = collections.Counter(t["reject"] for t in truth if "reject" in t)
    assert s["linesRead"] == len(truth)
    assert s["rowsIndexed"] == sum(1 for t in truth if "row" in t)
    assert s["linesRejected"] == sum(expected_rejects.values())
    assert s["linesRead"] == s["rowsIndexed"] + s["linesRejected"]
    assert s["rejectionsByReason"] == dict(expected_rejects)
    assert s["filesSkipped"] == [] and s["fileProblems"] == []
    assert sum(p["rows"] for p in s["parts"] if p["table"] == "s3_access") == s["rowsIndexed"]
    assert sum(p["rows"] for p in s["parts"] if p["table"] == "rejects") == s["linesRejected"]


def test_every_rejection_is_reported_with_file_and_offset(run):
    reported = set()
    for line in run["stderr"].decode().splitlines():
        if ": rejected: " in line:
            location, rest = line.split(": rejected: ", 1)
            path, offset = location.rsplit(":", 1)
            reported.add((path, int(offset), rest.split(":", 1)[0]))
    expected = {(os.path.join(run["corpus"], t["file"]), t["offset"], t["reject"]) for t in run["truth"]
                if "reject" in t}
    assert reported == expected


def test_duckdb_reads_every_column_as_generated(run):
    glob = os.path.join(run["out"], "s3_access", "*", "*.parquet")
    compare(expected_rows(run), rows_by_duckdb(glob, TIMESTAMP_COLUMNS, ("credential_date",)), "duckdb")


def test_pyarrow_reads_every_column_as_generated(run):
    got, table = rows_by_pyarrow(os.path.join(run["out"], "s3_access"), TIMESTAMP_COLUMNS, ("credential_date",))
    assert table.schema.field("request_time").type == pa.timestamp("us", tz="UTC")
    assert table.schema.field("credential_date").type == pa.date32()
    compare(expected_rows(run), got, "pyarrow")


def test_partition_is_request_date_and_parts_are_sorted_by_time(run):
    assert len(run["parts"]) > 3
    for path in run["parts"]:
        dt = os.path.basename(os.path.dirname(path))
        assert dt.startswith("dt=")
        times = pq.read_table(path, columns=["request_time"]).column("request_time").to_pylist()
        assert times == sorted(times), f"{path} is not sorted by request_time"
        days = {t.astimezone(datetime.timezone.utc).date().isoformat() for t in times}
        assert days == {dt[3:]}


def test_parquet_metadata_is_what_engines_rely_on(run):
    saw_dictionary = False
    for path in run["parts"]:
        f = pq.ParquetFile(path)
        meta = f.metadata
        assert meta.created_by.startswith("sigtrail version ")
        kv = meta.metadata
        assert kv[b"sigtrail.table"] == b"s3_access"
        assert kv[b"sigtrail.schema_version"] == b"1"
        assert meta.num_row_groups >= 1
        for g in range(meta.num_row_groups):
            rg = meta.row_group(g)
            assert rg.sorting_columns[0].column_index == 0
            for c in range(rg.num_columns):
                col = rg.column(c)
                assert col.compression == "ZSTD"
                stats = col.statistics
                assert stats is not None and stats.null_count is not None
                if stats.null_count < rg.num_rows and col.physical_type != "BOOLEAN":
                    # Without column_orders pyarrow would ignore string min/max.
                    assert stats.has_min_max, f"{path} {col.path_in_schema} has no min/max"
                if col.path_in_schema == "operation" and "RLE_DICTIONARY" in col.encodings:
                    saw_dictionary = True
        schema = f.schema_arrow
        assert schema.field("request_time").type == pa.timestamp("us", tz="UTC")
        assert schema.field("http_status").type == pa.int32()
        assert schema.field("bytes_sent").type == pa.int64()
        assert schema.field("acl_required").type == pa.bool_()
    assert saw_dictionary


def test_duckdb_prunes_on_statistics(run):
    """A request_time range outside a part's min/max must not need that part's data."""
    con = duckdb.connect()
    glob = os.path.join(run["out"], "s3_access", "*", "*.parquet")
    lo, hi = con.execute(f"SELECT min(request_time), max(request_time) FROM read_parquet('{glob}')").fetchone()
    stats = con.execute(f"SELECT stats_min, stats_max FROM parquet_metadata('{glob}') WHERE path_in_schema = "
                    "'request_time'").fetchall()
    assert stats and all(a is not None and b is not None for a, b in stats)
    assert con.execute(f"SELECT count(*) FROM read_parquet('{glob}') WHERE request_time > TIMESTAMPTZ '2100-01-01'"
                   ).fetchone()[0] == 0
    assert lo < hi


def test_no_planted_secret_reaches_any_output_byte(run):
    secrets = run["secrets"]
    assert len(secrets) > 100
    import urllib.parse

    needles = set()
    for s in secrets:
        needles.add(s.encode())
        needles.add(urllib.parse.quote(s, safe="").encode())
    blobs = [run["stdout"], run["stderr"]]
    # Every file of the output directory: parts, the manifest, the lock.
    for directory, _, names in os.walk(run["out"]):
        for name in names:
            blobs.append(open(os.path.join(directory, name), "rb").read())
    assert any(os.path.basename(d) == "_manifest" for d, _, _ in os.walk(run["out"]))
    for path in run["parts"]:
        raw = open(path, "rb").read()
        blobs.append(raw)
        blobs.append(decompress_every_zstd_frame(raw))
        table = pq.read_table(path)
        for name in table.column_names:
            if pa.types.is_string(table.schema.field(name).type):
                blobs.append("\n".join(v for v in table.column(name).to_pylist() if v).encode())
    for blob in blobs:
        for needle in needles:
            assert needle not in blob, "a planted secret reached the output"
    # And the fingerprints are there instead.
    con = duckdb.connect()
    glob = os.path.join(run["out"], "s3_access", "*", "*.parquet")
    n = con.execute(f"SELECT count(*) FROM read_parquet('{glob}') WHERE request_query LIKE '%Signature=sha256:%'"
                ).fetchone()[0]
    assert n > 0


def test_parts_are_private_and_no_temporary_file_is_left(run):
    for root, dirs, files in os.walk(run["out"]):
        for name in files:
            assert not name.endswith(".tmp"), f"temporary file left: {name}"
            assert not name.startswith(".") or name == ".sigtrail.lock", f"unexpected hidden file: {name}"
            mode = stat.S_IMODE(os.stat(os.path.join(root, name)).st_mode)
            assert mode & 0o007 == 0, f"{name} is readable by others ({oct(mode)})"


def test_rows_do_not_depend_on_threads_or_file_splitting(run, tmp_path):
    """One big file read by three threads in 1 MiB shares gives the rows one thread gives."""
    big = tmp_path / "in" / "big.log"
    big.parent.mkdir()
    with open(big, "wb") as out:
        for root, _, names in sorted(os.walk(run["corpus"])):
            for name in sorted(names):
                data = open(os.path.join(root, name), "rb").read()
                if data[:2] != b"\x1f\x8b" and data[:4] != b"\x28\xb5\x2f\xfd":
                    out.write(data)
    assert big.stat().st_size > 2 << 20
    results = []
    for threads, split in (("1", "64"), ("3", "1")):
        out = tmp_path / ("out" + threads)
        proc = sigtrail("index", str(big.parent), "--out", str(out), "--threads", threads,
                               "--split-mib", split, "--json", "--show-rejections", "0")
        summary = json.loads(proc.stdout)
        con = duckdb.connect()
        rows = con.execute(f"SELECT * FROM read_parquet('{out}/s3_access/*/*.parquet') "
                           "ORDER BY source_offset").fetchall()
        results.append((summary["linesRead"], summary["rowsIndexed"], summary["rejectionsByReason"], rows))
    assert results[0][:3] == results[1][:3]
    assert len(results[0][3]) == results[0][1] and results[0][3] == results[1][3]


@pytest.mark.parametrize("workers", [1, 3, 7])
def test_a_fleet_of_workers_writes_what_one_run_writes(run, tmp_path, workers):
    """--worker I --workers N: every file goes to exactly one worker; the union is one run."""
    out = tmp_path / "fleet"
    read = 0
    for i in range(workers):
        proc = sigtrail("index", run["corpus"], "--out", out, "--worker", i, "--workers", workers, "--json",
                        "--show-rejections", "0")
        read += json.loads(proc.stdout)["linesRead"]
    assert read == run["summary"]["linesRead"]
    con = duckdb.connect()
    q = "SELECT * FROM read_parquet('{}/s3_access/*/*.parquet') ORDER BY source_file, source_offset"
    assert con.execute(q.format(out)).fetchall() == con.execute(q.format(run["out"])).fetchall()
    names = [(p.parent.parent.name, p.name) for p in out.rglob("*.parquet")]
    assert len(names) == len(set(names))


def test_exit_status_tells_a_scheduler_what_happened(run, tmp_path):
    clean = tmp_path / "clean"
    clean.mkdir()
    samples = os.path.join(ROOT, "..", "shared", "samples", "s3-access-logs.txt")
    good = [l for l in (open(samples, "rb") if os.path.exists(samples) else [])
            if l.startswith(b"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be amzn-s3-demo")][:2]
    if not good:  # ../shared absent: one line of our own
        good = [b'79a5 b [06/Feb/2019:00:00:38 +0000] 192.0.2.3 - 3E57427F33A59F07 REST.GET.OBJECT k "GET /k HTTP/1.1" '
                b'200 - 1 1 1 1 "-" "curl" -\n']
    (clean / "a.log").write_bytes(b"".join(good))
    assert sigtrail("index", clean, "--out", tmp_path / "o1", ok=(0,)).returncode == 0
    (clean / "b.log").write_bytes(good[0] + b"[06/Feb/2019:00:00:38 +0000] not a log line\n")
    assert sigtrail("index", clean, "--out", tmp_path / "o2", ok=(2,)).returncode == 2
    strict = sigtrail("index", clean, "--out", tmp_path / "o3", "--strict", ok=(1,))
    assert b"--strict" in strict.stderr
    assert sigtrail("index", tmp_path / "missing", "--out", tmp_path / "o4", ok=(1,)).returncode == 1
    assert sigtrail("index", clean, "--out", tmp_path / "o5", "--threads", "0", ok=(64,)).returncode == 64


def test_a_second_run_on_the_same_output_is_refused(run, tmp_path):
    import fcntl
    out = tmp_path / "locked"
    out.mkdir()
    with open(out / ".sigtrail.lock", "w") as holder:
        fcntl.flock(holder, fcntl.LOCK_EX | fcntl.LOCK_NB)
        holder.write("pid 4242\n")
        holder.flush()
        refused = sigtrail("index", run["corpus"], "--out", out, ok=(1,))
        assert b"another sigtrail run (pid 4242) is writing to" in refused.stderr
        assert not list(out.rglob("*.parquet"))
    # The holder is gone (as after a crash or SIGKILL): the lock file stays, the lock does not.
    assert sigtrail("index", run["corpus"], "--out", out, "--quiet").returncode in (0, 2)
    assert list(out.rglob("*.parquet"))


def test_rejects_table_keeps_every_rejection_with_a_scrubbed_excerpt(run, tmp_path):
    con = duckdb.connect()
    got = con.execute(f"SELECT source_file, source_offset, reason, \"table\", excerpt IS NOT NULL, run_id "
                      f"FROM read_parquet('{run['out']}/rejects/*/*.parquet')").fetchall()
    want = {(os.path.join(run["corpus"], t["file"]), t["offset"], t["reject"]) for t in run["truth"] if "reject" in t}
    assert {(f, o, r) for f, o, r, *_ in got} == want and len(got) == len(want)
    assert {t for *_, t, _, _ in got} == {"s3_access"}
    assert all(has for *_, has, _ in got)

    # A rejected line carrying live secrets, in its query and in a presigned Referer.
    token, signature, referer_sig = "FQoGZXIvYXdzEXAMPLETOKEN+/=", "c0ffee" * 10, "deadbeef" * 8
    line = ('79a5 bkt [06/Fev/2019:00:00:38 +0000] 192.0.2.3 - 3E57427F33A59F07 REST.GET.OBJECT k '
            '"GET /k?X-Amz-Credential=ASIAX%2F20190206%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Security-Token='
            + urllib.parse.quote(token, safe="") + "&X-Amz-Signature=" + signature + ' HTTP/1.1" 200 - 1 1 1 1 '
            '"https://x.example/p?a=1&X-Amz-Signature=' + referer_sig + '" "curl" -\n'
            '{"credentials":{"sessionToken":"' + token + '"}}\n')
    d = tmp_path / "in"
    d.mkdir()
    (d / "bad.log").write_text(("79a5 b [06/Feb/2019:00:00:38 +0000] x\n") + line)
    out = tmp_path / "out"
    sigtrail("index", d, "--out", out, ok=(2,))
    excerpts = [r[0] for r in con.execute(f"SELECT excerpt FROM read_parquet('{out}/rejects/*/*.parquet') "
                                          "ORDER BY source_offset").fetchall()]
    assert len(excerpts) == 3
    joined = "\n".join(excerpts)
    for secret in (token, urllib.parse.quote(token, safe=""), signature, referer_sig):
        assert secret not in joined
        for path in out.rglob("*.parquet"):
            assert secret.encode() not in decompress_every_zstd_frame(open(path, "rb").read())
    assert "X-Amz-Security-Token=sha256:" in excerpts[1] and "X-Amz-Signature=sha256:" in excerpts[1]
    assert '"sessionToken":"sha256:' in excerpts[2]


def test_a_url_nested_unencoded_in_a_parameter_keeps_no_secret(tmp_path):
    """`next=/x?X-Amz-Signature=...`: the query alone is read as starting after the inner `?`, so
    the request is presigned with that signature; the whole Request-URI and the referer must
    hide it just the same."""
    secret, token = "5ec7e75167a7e0feedc0ffee", "IQoJNESTEDTOKEN"
    inner = "X-Amz-Signature=%s&X-Amz-Security-Token=%s" % (secret, token)
    line = ('79a5 bkt [06/Feb/2019:00:00:38 +0000] 192.0.2.3 - 3E57427F33A59F07 REST.GET.OBJECT k '
            '"GET /bkt/k?next=/other?%s HTTP/1.1" 200 - 113 - 7 - "https://app.example/p?back=/b?%s" "curl/8" - '
            'aGk= SigV4 ECDHE-RSA-AES128-GCM-SHA256 QueryString bkt.s3.amazonaws.com TLSv1.2\n' % (inner, inner))
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "2019-02-06-00-00-38-0123456789ABCDEF").write_text(line)
    out = tmp_path / "out"
    sigtrail("index", logs, "--out", out, "--quiet", ok=(0,))
    [part] = (out / "s3_access").rglob("*.parquet")
    row = pq.read_table(part).to_pylist()[0]
    assert row["signature_sha256"] and row["security_token_sha256"]
    for name, value in row.items():
        if isinstance(value, str):
            assert secret not in value and token not in value, name
    assert row["request_uri"].count("sha256:") == 2 and row["referer"].count("sha256:") == 2
