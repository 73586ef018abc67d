"""Every point where the disk can fail: an LD_PRELOAD shim (faultshim/faultshim.c) makes the Nth
write, pwrite, fsync, fdatasync, rename or unlink fail with EIO or ENOSPC, for every N of a whole
index run, a retraction and a compaction. After each, the run fails cleanly or completes, and a
rerun (and `verify --deep`) gives exactly the rows of an uninterrupted run."""
import collections
import json
import os
import shutil
import subprocess

import duckdb
import pytest
from conftest import sigtrail, sigtrail_binary

LINE = ('79a5 bkt [06/Feb/2019:00:%02d:38 +0000] 192.0.2.3 - 3E57427F33A5%04d REST.GET.OBJECT k%d '
        '"GET /bkt/k HTTP/1.1" 200 - 113 - 7 - "-" "curl/8" - aGk= SigV4 ECDHE-RSA-AES128-GCM-SHA256 '
        'AuthHeader bkt.s3.amazonaws.com TLSv1.2 - - us-east-1\n')


@pytest.fixture(scope="module")
def shim(tmp_path_factory):
    compiler = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if not compiler:
        pytest.skip("no C compiler for the fault shim")
    out = tmp_path_factory.mktemp("shim") / "faultshim.so"
    src = os.path.join(os.path.dirname(__file__), "faultshim", "faultshim.c")
    subprocess.run([compiler, "-shared", "-fPIC", "-O1", "-o", str(out), src, "-ldl"], check=True)
    return str(out)


def run(args, shim=None, at=0, errno="EIO", count=False):
    env = dict(os.environ)
    if shim:
        env.update(LD_PRELOAD=shim, SIGTRAIL_FAULT_AT=str(at), SIGTRAIL_FAULT_ERRNO=errno)
        if count:
            env["SIGTRAIL_FAULT_COUNT"] = "1"
    return subprocess.run([sigtrail_binary(), *map(str, args)], capture_output=True, env=env, timeout=120)


def keys(out):
    if not list(out.rglob("*.parquet")):
        return collections.Counter()
    con = duckdb.connect()
    return collections.Counter(con.execute(
        f"SELECT source_file, source_offset FROM read_parquet('{out}/s3_access/*/*.parquet')").fetchall())


def calls(proc):
    return int(next(l for l in proc.stderr.decode().splitlines() if l.startswith("FAULT-CALLS")).split()[1])


def logs(base, files=3, lines=300):
    base.mkdir(parents=True, exist_ok=True)
    for k in range(files):
        (base / ("2019-02-06-00-00-38-%016d" % k)).write_text("".join(LINE % (k, i, i) for i in range(lines)))
    return base


def test_index_survives_a_failure_at_every_write_fsync_rename_and_unlink(shim, tmp_path):
    clean = tmp_path / "clean"
    logs(clean / "logs")
    sigtrail("index", clean / "logs", "--out", clean / "out", "-q", "--part-rows", "200")

    def prepare(base):
        logs(base / "logs")
        return base

    def command(base):
        return ["index", base / "logs", "--out", base / "out", "-q", "--part-rows", "200"]

    # Rows are compared by (file name, offset), whatever directory the tree is in.
    want = collections.Counter({(os.path.basename(f), o): c for (f, o), c in keys(clean / "out").items()})
    tried = 0
    probe = prepare(tmp_path / "probe")
    total = calls(run(command(probe), shim, 0, count=True))
    for errno in ("EIO", "ENOSPC"):
        for n in range(1, total + 1):
            base = prepare(tmp_path / ("%s-%d" % (errno, n)))
            failed = run(command(base), shim, n, errno)
            assert failed.returncode in (0, 1, 2), (errno, n, failed.stderr.decode()[-500:])
            again = run(command(base))
            assert again.returncode in (0, 2), (errno, n, again.stderr.decode()[-500:])
            got = collections.Counter({(os.path.basename(f), o): c for (f, o), c in keys(base / "out").items()})
            assert got == want, (errno, n)
            assert run(["verify", base / "out", "--deep"]).returncode == 0, (errno, n)
            shutil.rmtree(base)
            tried += 1
    assert tried == 2 * total and total > 10
    print("index: %d fault points tried (EIO and ENOSPC at each of %d calls)" % (tried, total))


def test_retraction_and_compaction_survive_a_failure_at_every_call(shim, tmp_path):
    def prepare(base):
        logs(base / "logs")
        assert run(["index", base / "logs", "--out", base / "out", "-q", "--part-rows", "100"]).returncode in (0, 2)
        # A changed input (its old rows must be retracted from the parts holding them).
        victim = base / "logs" / "2019-02-06-00-00-38-0000000000000001"
        victim.write_text(victim.read_text()[: len(victim.read_text()) // 2])
        return base

    clean = prepare(tmp_path / "clean")
    assert run(["index", clean / "logs", "--out", clean / "out", "-q", "--part-rows", "100"]).returncode in (0, 2)
    want = collections.Counter({(os.path.basename(f), o): c for (f, o), c in keys(clean / "out").items()})
    tried = 0
    for name, command in (
            ("retraction", lambda b: ["index", b / "logs", "--out", b / "out", "-q", "--part-rows", "100"]),
            ("compaction", lambda b: ["compact", b / "out", "--json"])):
        probe = prepare(tmp_path / ("probe-" + name))
        if name == "compaction":
            assert run(["index", probe / "logs", "--out", probe / "out", "-q"]).returncode in (0, 2)
        total = calls(run(command(probe), shim, 0, count=True))
        assert total > 5, name
        for n in range(1, total + 1):
            base = prepare(tmp_path / ("%s-%d" % (name, n)))
            if name == "compaction":
                assert run(["index", base / "logs", "--out", base / "out", "-q"]).returncode in (0, 2)
            failed = run(command(base), shim, n)
            assert failed.returncode in (0, 1, 2), (name, n, failed.stderr.decode()[-500:])
            # The next run of the same command (and a nightly index) rolls forward.
            again = run(command(base))
            assert again.returncode in (0, 2), (name, n, again.stderr.decode()[-500:])
            assert run(["index", base / "logs", "--out", base / "out", "-q"]).returncode in (0, 2)
            got = collections.Counter({(os.path.basename(f), o): c for (f, o), c in keys(base / "out").items()})
            assert got == want, (name, n)
            assert run(["verify", base / "out", "--deep"]).returncode == 0, (name, n)
            shutil.rmtree(base)
            tried += 1
    print("retraction and compaction: %d fault points tried" % tried)


def test_an_input_cut_short_under_its_mapping_is_reported_and_the_run_goes_on(shim, tmp_path):
    """A mapped input (over 1 MiB) truncated while it is read, as logrotate's copytruncate does:
    the file is named with the offset where its content ended, the run indexes every other file,
    and the next run indexes what the file now holds, exactly."""
    logs_dir = tmp_path / "logs"
    logs(logs_dir, files=3, lines=6000)  # about 1.6 MB each: mapped, not read
    rotating = logs_dir / "2019-02-06-00-00-38-0000000000000001"
    rotating.rename(logs_dir / "rotating.log")
    rotating = logs_dir / "rotating.log"
    size = rotating.stat().st_size
    assert size > 1 << 20
    env = dict(os.environ, LD_PRELOAD=shim, SIGTRAIL_SHRINK_MATCH="rotating")
    out = tmp_path / "out"
    proc = subprocess.run([sigtrail_binary(), "index", logs_dir, "--out", out, "--json"], capture_output=True,
                          env=env, timeout=120)
    assert proc.returncode == 2, proc.stderr.decode()[-800:]
    summary = json.loads(proc.stdout)
    problems = [p for p in summary["fileProblems"] if p["path"].endswith("rotating.log")]
    assert len(problems) == 1 and "shrank while being read" in problems[0]["reason"], summary["files"]
    cut = rotating.stat().st_size
    assert cut == size // 3
    # Lines whole before the cut are rows; the problem names the first one that is not.
    text = rotating.read_bytes()
    assert problems[0]["offset"] == text.rindex(b"\n") + 1
    got = keys(out)
    assert sum(1 for f, _ in got if f.endswith("rotating.log")) == text.count(b"\n")
    assert sum(1 for f, _ in got if not f.endswith("rotating.log")) == 2 * 6000

    # The next run sees the file changed: its rows are those of a fresh run over the same files.
    # (Its last line, cut in the middle, is a rejection in both.)
    rerun = run(["index", logs_dir, "--out", out, "-q"])
    assert rerun.returncode == 2 and b"rotating.log:%d: rejected" % (text.rindex(b"\n") + 1) in rerun.stderr
    fresh = tmp_path / "fresh"
    assert run(["index", logs_dir, "--out", fresh, "-q"]).returncode == 2
    assert keys(out) == keys(fresh)
    assert run(["verify", out, "--deep"]).returncode == 0
