"""Hostile input, arguments and output trees: each promise an attacker's audit found broken,
kept. Every test here failed before its fix."""
import gzip
import os
import subprocess

import pyarrow.dataset as ds

from conftest import sigtrail, sigtrail_binary

LINE = ('79a5 bkt [06/Feb/2019:00:00:38 +0000] 192.0.2.3 - 3E57427F33A59F07 REST.GET.OBJECT k%s '
        '"GET /bkt/k HTTP/1.1" 200 - 113 - 7 - "-" "curl/8" - aGk= SigV4 ECDHE-RSA-AES128-GCM-SHA256 '
        'AuthHeader bkt.s3.amazonaws.com TLSv1.2 - - us-east-1\n')


def index_one(tmp_path, name=b"2019-02-06-00-00-38-0123456789ABCDEF", lines=1):
    logs = tmp_path / "logs"
    logs.mkdir(exist_ok=True)
    path = os.path.join(bytes(logs), name)
    with open(path, "wb") as f:
        f.write("".join(LINE % i for i in range(lines)).encode())
    return logs, path


def rows(out, table="s3_access"):
    return ds.dataset(out / table, format="parquet", partitioning="hive").to_table().to_pylist()


def test_a_file_name_that_is_not_utf8_is_indexed_every_run(tmp_path):
    logs, _ = index_one(tmp_path, name=b"2019-02-06-bad-\xff\xfe-name", lines=3)
    out = tmp_path / "out"
    first = sigtrail("index", logs, "--out", out, ok=(0,))
    got = rows(out)
    assert len(got) == 3
    assert {r["source_file"] for r in got} == {str(logs) + "/2019-02-06-bad-\\xff\\xfe-name"}
    # The rerun knows the file by that name: nothing read again, nothing lost.
    again = sigtrail("index", logs, "--out", out, "--json", ok=(0,))
    assert b'"filesUnchanged" : 1' in again.stdout, again.stdout
    assert len(rows(out)) == 3
    assert b"cannot stat" not in first.stderr + again.stderr


def test_the_same_file_given_twice_is_indexed_once(tmp_path):
    logs, path = index_one(tmp_path, lines=2)
    os.link(path, os.path.join(bytes(logs), b"hardlink-of-the-same-file"))
    out = tmp_path / "out"
    run = sigtrail("index", logs, os.fsdecode(path), "--out", out, ok=(0,))
    assert len(rows(out)) == 2
    assert b"indexed once" in run.stderr


def test_where_nesting_and_huge_ages_are_errors_not_crashes(tmp_path):
    logs, _ = index_one(tmp_path)
    out = tmp_path / "out"
    sigtrail("index", logs, "--out", out, ok=(0,))
    for where in ["not " * 20000 + "status = 200", "(" * 60000 + "status = 200" + ")" * 60000]:
        p = sigtrail("query", out, "--where", where, ok=(1, 64))
        assert b"nested more than" in p.stderr and b"Backtrace" not in p.stderr and b"Fatal" not in p.stderr
    for age in ["99999999999d", "9999999999999999999999w", "99999999999999999999"]:
        p = sigtrail("query", out, "--since", age, ok=(1, 64))
        assert b"is not a time" in p.stderr and b"Backtrace" not in p.stderr, p.stderr
    # Nesting within the bound still works.
    p = sigtrail("query", out, "--where", "not " * 50 + "http_status = 200", "--select", "count()", "--format", "csv")
    assert p.returncode == 0


def test_a_missing_table_is_an_error(tmp_path):
    logs, _ = index_one(tmp_path)
    out = tmp_path / "out"
    sigtrail("index", logs, "--out", out, ok=(0,))
    p = sigtrail("query", out, "--table", "cloudtrail", "--select", "count()", ok=(1,))
    assert b"has no cloudtrail table" in p.stderr
    p = sigtrail("query", out, "--table", "nonsense", ok=(64,))
    assert b"'nonsense' is invalid" in p.stderr and b"s3_access" in p.stderr
    # Hunts still read an output directory that has only one of the tables.
    sigtrail("hunt", "presigned", out, ok=(0,))


def test_repeated_rejects_of_one_file_are_folded(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    with gzip.open(logs / "2019-02-06-00-00-38-EMPTY.gz", "wb") as f:
        f.write((LINE % 0).encode() + b"\n" * 250_000)
    out = tmp_path / "out"
    run = sigtrail("index", logs, "--out", out, "--json", ok=(2,))
    assert b'"linesRejected" : 250000' in run.stdout
    got = rows(out, "rejects")
    assert len(got) == 1001
    folded = [r for r in got if "more empty_line rejections" in r["explanation"]]
    assert len(folded) == 1 and "248999 more" in folded[0]["explanation"]


def test_a_query_limit_bounds_memory(tmp_path):
    logs, _ = index_one(tmp_path, lines=400_000)
    out = tmp_path / "out"
    sigtrail("index", logs, "--out", out, ok=(0,))

    def peak(*args):
        # In a process of its own, whose only child is the query: its peak alone.
        script = ("import resource, subprocess, sys; p = subprocess.run(sys.argv[1:], capture_output=True); "
                  "assert p.returncode == 0, p.stderr; "
                  "print(len(p.stdout.splitlines()), resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
        p = subprocess.run(["python3", "-c", script, sigtrail_binary(), "query", str(out), *args, "--format", "csv"],
                           capture_output=True, check=True)
        lines, kb = map(int, p.stdout.split())
        return lines, kb

    _, base = peak("--limit", "5", "--select", "key,source_offset", "--threads", "1", "--where", "http_status = 999")
    lines, limited = peak("--limit", "5", "--select", "key,source_offset", "--threads", "1")
    assert lines == 6
    all_lines, unlimited = peak("--select", "key,source_offset", "--threads", "1")
    assert all_lines == 400_001
    # What the rows cost: with the limit, one row group's worth, not the table's.
    assert limited - base < (unlimited - base) / 2, f"{base} KB idle, {limited} KB with --limit 5, {unlimited} without"


def test_a_lock_file_that_is_a_symlink_is_refused(tmp_path):
    logs, _ = index_one(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    os.symlink(victim, out / ".sigtrail.lock")
    p = sigtrail("index", logs, "--out", out, ok=(1,))
    assert b"symbolic link" in p.stderr
    assert victim.read_text() == "precious\n"
    os.unlink(out / ".sigtrail.lock")
    os.mkfifo(out / ".sigtrail.lock")
    p = sigtrail("index", logs, "--out", out, ok=(1,))
    assert b"not a regular file" in p.stderr


def test_a_manifest_part_outside_the_output_is_refused(tmp_path):
    logs, _ = index_one(tmp_path, lines=5)
    out = tmp_path / "out"
    sigtrail("index", logs, "--out", out, ok=(0,))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    [part] = (out / "s3_access").rglob("*.parquet")
    (elsewhere / "x.parquet").write_bytes(part.read_bytes())
    segment = sorted((out / "_manifest").glob("*.tsv"))[-1]
    # A well-formed segment naming a part outside OUT, as a tampered tree would hold.
    body = "sigtrail-manifest 1\npart\ts3_access\tdt=2019-02-06\t../elsewhere/x.parquet\t5\t%d\n" % part.stat().st_size
    (out / "_manifest" / ("9" + segment.name)).write_text(body)
    p = sigtrail("compact", out, ok=(1,))
    assert b"not a path inside the output directory" in p.stderr
    assert (elsewhere / "x.parquet").exists()
    p = sigtrail("index", logs, "--out", out, ok=(1,))
    assert b"not a path inside the output directory" in p.stderr


def test_a_segment_cut_at_a_line_boundary_is_refused(tmp_path):
    logs, _ = index_one(tmp_path, lines=5)
    out = tmp_path / "out"
    sigtrail("index", logs, "--out", out, ok=(0,))
    for segment in sorted((out / "_manifest").glob("*.tsv")):
        lines = segment.read_text().splitlines(keepends=True)
        if any(l.startswith("part\t") for l in lines):
            segment.write_text("".join(lines[:-2]))  # the end line and the last entry gone
            break
    p = sigtrail("index", logs, "--out", out, ok=(1,))
    assert b"incomplete or altered manifest segment" in p.stderr


def test_fleets_of_different_sizes_never_run_together(tmp_path):
    for k in range(24):
        logs, _ = index_one(tmp_path, name=b"2019-02-06-00-00-38-%016d" % k, lines=2)
    out = tmp_path / "out"
    out.mkdir()
    # A worker of a fleet of 2 holds its slice's lock (as a live run would).
    holder = subprocess.Popen(["flock", "-s", str(out / ".sigtrail.lock"), "flock",
                               str(out / ".sigtrail-0of2.lock"), "sleep", "30"], start_new_session=True)
    try:
        import time
        for _ in range(100):
            if (out / ".sigtrail-0of2.lock").exists():
                break
            time.sleep(0.05)
        time.sleep(0.2)
        p = sigtrail("index", logs, "--out", out, "--worker", "1", "--workers", "3", ok=(1,))
        assert b"a fleet of 2 workers is writing" in p.stderr
        # The same fleet size is welcome beside it.
        sigtrail("index", logs, "--out", out, "--worker", "1", "--workers", "2", ok=(0,))
    finally:
        os.killpg(holder.pid, 9)
        holder.wait()
    # Once it is gone, another size may run.
    sigtrail("index", logs, "--out", out, "--worker", "0", "--workers", "3", ok=(0,))


def test_a_compaction_killed_before_its_deletes_rolls_forward(tmp_path):
    """Killed between its manifest commit and its unlinks, a compaction leaves the parts it
    replaced beside the merged one: readers count their rows twice until the next run of
    `compact` or `index` removes them."""
    import shutil
    logs = tmp_path / "logs"
    logs.mkdir()
    out = tmp_path / "out"
    for k in range(3):
        (logs / ("2019-02-06-00-00-38-%016d" % k)).write_text("".join(LINE % (10 * k + i) for i in range(10)))
        sigtrail("index", logs, "--out", out, ok=(0,))
    before = sorted(p.relative_to(out) for p in (out / "s3_access").rglob("*.parquet"))
    assert len(before) == 3
    saved = tmp_path / "saved"
    shutil.copytree(out / "s3_access", saved)
    for second in ("compact", "index"):
        sigtrail("compact", out, ok=(0,))
        assert len(rows(out)) == 30
        # The state a kill between commit and unlinks leaves: the replaced parts are back.
        for rel in before:
            shutil.copy(saved / rel.relative_to("s3_access"), out / rel)
        assert len(rows(out)) == 60
        run = sigtrail(second, out, ok=(0,)) if second == "compact" else sigtrail("index", logs, "--out", out, ok=(0,))
        assert len(rows(out)) == 30, second
        assert b"removed 3 parts" in run.stdout or b"3 replaced or uncommitted parts" in run.stderr, run


def test_a_flipped_bit_in_a_page_is_an_error_not_another_answer(tmp_path):
    """Pages carry CRC-32s (pyarrow verifies them) and every read checks them: 60 single-bit
    flips inside column chunks each give the untouched answer or an error, never another one."""
    import random
    import pyarrow.parquet as pq
    logs, _ = index_one(tmp_path, lines=3000)
    out = tmp_path / "out"
    sigtrail("index", logs, "--out", out, ok=(0,))
    [part] = (out / "s3_access").rglob("*.parquet")
    assert pq.read_table(part, page_checksum_verification=True).num_rows == 3000
    baseline = sigtrail("query", out, "--format", "csv", "--threads", "1", ok=(0,)).stdout
    original = part.read_bytes()
    meta = pq.ParquetFile(part).metadata
    chunks = []
    for g in range(meta.num_row_groups):
        for c in range(meta.num_columns):
            col = meta.row_group(g).column(c)
            start = min(o for o in (col.dictionary_page_offset, col.data_page_offset) if o is not None)
            chunks.append((start, start + col.total_compressed_size))
    rng = random.Random(24)
    errors = 0
    for _ in range(60):
        start, end = rng.choice(chunks)
        at = rng.randrange(start, end)
        damaged = bytearray(original)
        damaged[at] ^= 1 << rng.randrange(8)
        part.write_bytes(bytes(damaged))
        p = subprocess.run([sigtrail_binary(), "query", str(out), "--format", "csv", "--threads", "1"],
                           capture_output=True)
        assert p.returncode != 0 or p.stdout == baseline, f"bit flipped at byte {at} changed the answer"
        if p.returncode != 0:
            errors += 1
            assert b"Backtrace" not in p.stderr and b"Fatal" not in p.stderr
    part.write_bytes(original)
    assert errors >= 55, errors
