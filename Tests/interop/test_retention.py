"""`--retain`: parts a compaction or retraction replaced stay for readers that listed them before
the commit, sigtrail's readers and the DuckDB views of `sigtrail ddl` leave them out meanwhile,
`verify` counts them without calling them damage, and the first run after the window deletes them."""
import json
import time

import duckdb
from conftest import sigtrail

LINE = ('79a5 bkt [06/Feb/2019:00:%02d:38 +0000] 192.0.2.3 - 3E57427F33A5%04d REST.GET.OBJECT k%d '
        '"GET /bkt/k HTTP/1.1" 200 - 113 - 7 - "-" "curl/8" - aGk= SigV4 ECDHE-RSA-AES128-GCM-SHA256 '
        'AuthHeader bkt.s3.amazonaws.com TLSv1.2 - - us-east-1\n')
ROWS = 4 * 250


def small_parts(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    out = tmp_path / "out"
    for k in range(4):  # one run per file: four small parts in one partition
        (logs / ("2019-02-06-00-00-38-%016d" % k)).write_text("".join(LINE % (k, i, i) for i in range(250)))
        sigtrail("index", logs, "--out", out, "-q", ok=(0,))
    return logs, out


def part_files(out):
    return sorted(str(p) for p in (out / "s3_access").rglob("*.parquet"))


def count(sql):
    return duckdb.connect().execute(sql).fetchone()[0]


def test_compaction_keeps_replaced_parts_for_readers_that_listed_them(tmp_path):
    logs, out = small_parts(tmp_path)
    listed = part_files(out)  # what a slow query listed before the compaction
    assert len(listed) == 4
    summary = json.loads(sigtrail("compact", out, "--retain", "1h", "--json", ok=(0,)).stdout)
    assert summary["partsBefore"] == 4 and summary["partsAfter"] == 1
    # The listing reader still reads every file it listed, and gets the rows it would have.
    assert count(f"SELECT count(*) FROM read_parquet({listed!r})") == ROWS
    # The retained parts are named for readers that list the directory ...
    retained = (out / "_manifest" / "retained.csv").read_text().split()
    assert retained[0] == "part" and sorted(retained[1:]) == sorted(p[len(str(out)) + 1:] for p in listed)
    # ... so sigtrail and the DuckDB views count each row once, where a bare glob counts them twice.
    assert json.loads(sigtrail("query", out, "--select", "count()", "--format", "json", ok=(0,)).stdout)[0] == {
        "count": ROWS}
    con = duckdb.connect()
    con.execute(sigtrail("ddl", "--engine", "duckdb", "--location", out, ok=(0,)).stdout.decode())
    assert con.execute("SELECT count(*), count(DISTINCT source_offset || source_file) FROM s3_access").fetchone() == (
        ROWS, ROWS)
    assert count(f"SELECT count(*) FROM read_parquet('{out}/s3_access/*/*.parquet')") == 2 * ROWS
    # Not damage: verify says they are there and why.
    v = sigtrail("verify", out, ok=(0,))
    assert b"4 replaced parts retained" in v.stdout
    assert json.loads(sigtrail("verify", out, "--json", ok=(0,)).stdout)["retained"] == 4
    # A run inside the window leaves them; the first run after it deletes them and empties the list.
    sigtrail("index", logs, "--out", out, "-q", "--retain", "1h", ok=(0,))
    assert len(part_files(out)) == 5
    time.sleep(1.1)
    rerun = json.loads(sigtrail("index", logs, "--out", out, "--json", "--retain", "1s", ok=(0,)).stdout)
    assert rerun["interruptedPartsRemoved"] == 4
    assert len(part_files(out)) == 1
    assert (out / "_manifest" / "retained.csv").read_text() == "part\n"
    con.execute(sigtrail("ddl", "--engine", "duckdb", "--location", out, ok=(0,)).stdout.decode())
    assert con.execute("SELECT count(*) FROM s3_access").fetchone()[0] == ROWS
    assert json.loads(sigtrail("verify", out, "--json", ok=(0,)).stdout)["retained"] == 0


def test_a_retraction_retains_too_and_by_default_nothing_is_kept(tmp_path):
    logs, out = small_parts(tmp_path)
    before = part_files(out)
    victim = sorted(logs.iterdir())[0]
    victim.write_text("".join(LINE % (0, i, i) for i in range(100)))
    changed = json.loads(sigtrail("index", logs, "--out", out, "--json", "--retain", "10m", ok=(0,)).stdout)
    assert changed["filesChanged"] == 1 and changed["rowsRetracted"] == 250
    assert set(before) <= set(part_files(out))  # the replaced part is still there
    rows = json.loads(sigtrail("query", out, "--select", "count()", "--format", "json", ok=(0,)).stdout)[0]
    assert rows == {"count": 3 * 250 + 100}
    # Compaction without --retain deletes what it replaces at once, and with it what is due.
    sigtrail("compact", out, ok=(0,))
    assert len(part_files(out)) == 1
    assert count(f"SELECT count(*) FROM read_parquet('{out}/s3_access/*/*.parquet')") == 3 * 250 + 100
