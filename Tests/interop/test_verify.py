"""`sigtrail verify`: damage done to an output directory after its commits is found and named."""
import json
import shutil

from conftest import sigtrail

LINE = ('79a5 bkt [06/Feb/2019:00:%02d:38 +0000] 192.0.2.3 - 3E57427F33A5%04d REST.GET.OBJECT k%d '
        '"GET /bkt/k HTTP/1.1" 200 - 113 - 7 - "-" "curl/8" - aGk= SigV4 ECDHE-RSA-AES128-GCM-SHA256 '
        'AuthHeader bkt.s3.amazonaws.com TLSv1.2 - - us-east-1\n')


def tree(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    out = tmp_path / "out"
    for k in range(4):
        (logs / ("2019-02-06-00-00-38-%016d" % k)).write_text("".join(LINE % (k, i, i) for i in range(2000)))
        sigtrail("index", logs, "--out", out, "--quiet", ok=(0,))
    return out


def verify(out, *args, ok=(0, 1)):
    p = sigtrail("verify", out, "--json", *args, ok=ok)
    return json.loads(p.stdout), p.returncode


def damage(out, parts):
    """Flips a byte in parts[1]'s pages, copies parts[2] in under another name, and cuts short the
    segment that commits parts[3]; returns the parts and that segment."""
    data = bytearray(parts[1].read_bytes())
    data[len(data) // 3] ^= 0x10
    parts[1].write_bytes(bytes(data))
    shutil.copy(parts[2], parts[2].with_name("part-copied-in-00001.parquet"))
    segment = next(p for p in (out / "_manifest").glob("*.tsv") if parts[3].name in p.read_text())
    lines = segment.read_text().splitlines(keepends=True)
    segment.write_text("".join(lines[:-1]))
    return parts, segment


def test_a_whole_directory_verifies(tmp_path):
    out = tree(tmp_path)
    summary, code = verify(out, "--deep")
    assert code == 0 and summary["problems"] == [] and summary["rows"] == 8000 and summary["parts"] == 4


def test_each_kind_of_damage_is_named(tmp_path):
    out = tree(tmp_path)
    # A part deleted, a byte flipped inside another one's pages, a stray copy, a segment cut short.
    parts = sorted((out / "s3_access").rglob("*.parquet"))
    parts[0].unlink()
    parts, segment = damage(out, parts)
    fast, code = verify(out)
    assert code == 1
    found = {p["path"].split("/")[-1]: p["problem"] for p in fast["problems"]}
    assert "missing" in found[parts[0].name]
    assert "not named by any commit" in found["part-copied-in-00001.parquet"]
    assert "incomplete or altered manifest segment" in found[segment.name]
    # Its part is no longer committed: readers would count rows no commit vouches for.
    assert "not named by any commit" in found[parts[3].name]
    deep, code = verify(out, "--deep")
    found = {p["path"].split("/")[-1]: p["problem"] for p in deep["problems"]}
    assert code == 1 and ("checksum" in found[parts[1].name] or "corrupt" in found[parts[1].name]), found
    text = sigtrail("verify", out, ok=(1,)).stdout.decode()
    assert "problems" in text and parts[0].name in text


def test_the_nightly_run_heals_a_deleted_part(tmp_path):
    """A committed part deleted after its run: the next index re-indexes the inputs whose rows it
    held (retracting their rows from the parts that survive) and ends with the untouched rows."""
    import pyarrow.dataset as ds
    out = tree(tmp_path)

    def rows():
        t = ds.dataset(out / "s3_access", format="parquet", partitioning="hive").to_table()
        return sorted(zip(t.column("source_file").to_pylist(), t.column("source_offset").to_pylist(),
                          t.column("key").to_pylist()))

    before = rows()
    parts = sorted((out / "s3_access").rglob("*.parquet"))
    parts[1].unlink()
    assert len(rows()) == 6000
    run = sigtrail("index", tmp_path / "logs", "--out", out, ok=(2,))
    assert b"which is missing: indexed again" in run.stderr
    assert rows() == before
    summary, code = verify(out, "--deep")
    assert code == 0, summary
    again = sigtrail("index", tmp_path / "logs", "--out", out, "--json", ok=(0,))
    assert b'"filesUnchanged" : 4' in again.stdout
    # A source that is gone: its rows are reported lost, the rest stay.
    import os
    import pyarrow.parquet as pq
    victim = sorted((out / "s3_access").rglob("*.parquet"))[0]
    [source] = set(pq.read_table(victim, columns=["source_file"]).column(0).to_pylist())
    victim.unlink()
    os.unlink(source)
    run = sigtrail("index", tmp_path / "logs", "--out", out, ok=(2,))
    assert (source + ": problem: its rows were in").encode() in run.stderr and b"rows lost" in run.stderr
    assert len(rows()) == 6000


def keys(out):
    import collections
    import duckdb
    con = duckdb.connect()
    return collections.Counter(con.execute(
        f"SELECT source_file, source_offset FROM read_parquet('{out}/s3_access/*/*.parquet')").fetchall())


def test_repair_sets_damage_aside_and_indexes_its_inputs_again(tmp_path):
    out = tree(tmp_path)
    whole = keys(out)
    # A byte flipped in one part's pages, a stray copy, a segment cut short.
    parts, segment = damage(out, sorted((out / "s3_access").rglob("*.parquet")))
    outcome, code = verify(out, "--deep", "--repair", ok=(0,))
    assert len(outcome["reindexed"]) == 2 and not outcome["unrecoverable"]
    assert {m.split("/")[-1] for m in outcome["movedAside"]} >= {parts[1].name, "part-copied-in-00001.parquet",
                                                              segment.name, parts[3].name}
    assert keys(out) == whole
    after, code = verify(out, "--deep")
    assert code == 0 and after["rows"] == 8000
    assert (out / "_damaged" / "_manifest" / segment.name).exists()


def test_repair_lists_what_it_cannot_recover(tmp_path):
    out = tree(tmp_path)
    parts = sorted((out / "s3_access").rglob("*.parquet"))
    data = bytearray(parts[0].read_bytes())
    data[len(data) // 3] ^= 0x10
    parts[0].write_bytes(bytes(data))
    # The source of that part's rows is gone.
    logs = sorted((tmp_path / "logs").iterdir())
    logs[0].unlink()
    outcome, code = verify(out, "--deep", "--repair", ok=(2,))
    assert [u["path"] for u in outcome["unrecoverable"]] == [str(logs[0])]
    assert "source is gone" in outcome["unrecoverable"][0]["reason"]
    after, code = verify(out, "--deep")
    assert code == 0 and after["rows"] == 6000


def test_queries_and_hunts_during_rewrites_and_compaction_never_fail(tmp_path):
    """Readers take the last commit's parts, and start again on a fresh snapshot if a part they
    were about to read was replaced and deleted meanwhile (a retraction or a compaction)."""
    import subprocess
    import threading
    from conftest import sigtrail_binary
    out = tree(tmp_path)
    logs = sorted((tmp_path / "logs").iterdir())
    stop = threading.Event()
    rewrites = []

    def churn():
        i = 0
        while not stop.is_set():
            victim = logs[i % len(logs)]
            victim.write_text(victim.read_text() + LINE % (i % 60, 9000 + i, 9000 + i))
            index = subprocess.run([sigtrail_binary(), "index", tmp_path / "logs", "--out", out, "-q", "--part-rows",
                                    "700"], capture_output=True)
            assert index.returncode in (0, 2), index.stderr
            subprocess.run([sigtrail_binary(), "compact", out, "--json"], capture_output=True, check=True)
            rewrites.append(i)
            i += 1

    worker = threading.Thread(target=churn)
    worker.start()
    failures = []
    try:
        for n in range(40):
            args = ["query", out, "--select", "count()"] if n % 2 else ["hunt", "presigned", out]
            p = subprocess.run([sigtrail_binary(), *map(str, args)], capture_output=True)
            if p.returncode != 0:
                failures.append(p.stderr.decode()[-300:])
    finally:
        stop.set()
        worker.join()
    assert len(rewrites) >= 2
    assert not failures, failures[:3]
    # And afterwards exactly the rows of the inputs as they now are.
    total = sum(len(p.read_text().splitlines()) for p in logs)
    assert json.loads(sigtrail("query", out, "--select", "count()").stdout)["count"] == total
    assert verify(out, "--deep")[1] == 0
