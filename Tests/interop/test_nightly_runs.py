"""Nightly runs over a growing tree: each input indexed exactly once, reruns write nothing,
changed inputs replace their old rows, and a run killed at any moment (SIGKILL) is finished by
running it again, with exactly the rows of an uninterrupted run."""
import collections
import os
import shutil
import signal
import subprocess
import sys
import time

import duckdb
import pytest
from conftest import ROOT, sigtrail, sigtrail_binary

TABLES = ("s3_access", "cloudtrail", "rejects")


def generate(base, mb=3, seed=5, file_kb=64, records=600):
    corpus = base / "corpus"
    subprocess.run(
        [sys.executable, os.path.join(ROOT, "tools", "gen_corpus.py"), "--out", str(corpus / "s3"), "--mb", str(mb),
         "--seed", str(seed), "--file-kb", str(file_kb)], check=True, capture_output=True)
    # Two large plain files, which runs cut into shares (--split-mib 1): resumable piece by piece.
    subprocess.run(
        [sys.executable, os.path.join(ROOT, "tools", "gen_corpus.py"), "--out", str(corpus / "big"), "--mb", "3",
         "--seed", str(seed + 1), "--file-kb", "1500", "--no-compress"], check=True, capture_output=True)
    subprocess.run(
        [sys.executable, os.path.join(ROOT, "tools", "gen_cloudtrail.py"), "--out", str(corpus / "ct"), "--records",
         str(records), "--seed", str(seed)], check=True, capture_output=True)
    return corpus


def keys(out, table):
    """Every row's (source_file, source_offset), with multiplicity."""
    if not list((out / table).glob("dt=*/part-*.parquet")):
        return collections.Counter()
    con = duckdb.connect()
    rows = con.execute(
        f"SELECT source_file, source_offset FROM read_parquet('{out}/{table}/*/part-*.parquet')").fetchall()
    return collections.Counter(rows)


def all_keys(out):
    return {t: keys(out, t) for t in TABLES}


def files_in(directory):
    return sorted(str(p.relative_to(directory)) for p in directory.rglob("*") if p.is_file())


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return generate(tmp_path_factory.mktemp("nightly"))


@pytest.fixture(scope="module")
def baseline(corpus, tmp_path_factory):
    out = tmp_path_factory.mktemp("baseline") / "out"
    sigtrail("index", corpus, "--out", out, "--quiet", "--show-rejections", "0")
    expected = all_keys(out)
    for table in ("s3_access", "cloudtrail"):
        assert expected[table] and max(expected[table].values()) == 1
    return expected


def test_rerun_over_the_same_tree_writes_nothing(corpus, baseline, tmp_path):
    out = tmp_path / "out"
    sigtrail("index", corpus, "--out", out, "--quiet", "--show-rejections", "0")
    before = files_in(out)
    proc = sigtrail("index", corpus, "--out", out, "--json", "--show-rejections", "0", ok=(0,))
    summary = __import__("json").loads(proc.stdout)
    # Files skipped by their path (digests, other services) are not read at all, then or now.
    assert summary["filesUnchanged"] + len(summary["filesSkipped"]) == summary["filesFound"] > 0
    assert summary["parts"] == [] and summary["rowsIndexed"] == 0
    assert files_in(out) == before
    assert all_keys(out) == baseline


def test_new_files_are_indexed_once(corpus, baseline, tmp_path):
    """Night 1 sees half the files, night 2 all of them: the union equals one run over all."""
    tree = tmp_path / "tree"
    shutil.copytree(corpus, tree)
    everything = sorted(p for p in tree.rglob("*") if p.is_file())
    held_back = everything[1::2]
    parked = tmp_path / "parked"
    for p in held_back:
        target = parked / p.relative_to(tree)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(p, target)
    out = tmp_path / "out"
    sigtrail("index", tree, "--out", out, "--quiet", "--show-rejections", "0")
    for p in held_back:
        shutil.move(parked / p.relative_to(tree), p)
    sigtrail("index", tree, "--out", out, "--quiet", "--show-rejections", "0")
    got = all_keys(out)
    relabel = lambda c: collections.Counter({(f.replace(str(tree), str(corpus)), o): n for (f, o), n in c.items()})
    assert {t: relabel(got[t]) for t in TABLES} == baseline


def test_changed_file_replaces_its_old_rows(corpus, tmp_path):
    tree = tmp_path / "tree"
    shutil.copytree(corpus, tree)
    out = tmp_path / "out"
    sigtrail("index", tree, "--out", out, "--quiet", "--show-rejections", "0")
    plain = sorted(p for p in (tree / "s3").rglob("*") if p.is_file() and p.suffix == "")
    victim, touched = plain[0], plain[1]
    lines = victim.read_bytes().split(b"\n")
    victim.write_bytes(b"\n".join(lines[: len(lines) // 2]) + b"\n")  # the file shrinks: a new version
    os.utime(touched, (time.time() + 100, time.time() + 100))  # same bytes, new time: not re-indexed
    proc = sigtrail("index", tree, "--out", out, "--json", "--show-rejections", "0")
    summary = __import__("json").loads(proc.stdout)
    assert summary["filesChanged"] == 1
    assert summary["rowsRetracted"] > 0
    assert summary["filesUnchanged"] + len(summary["filesSkipped"]) == summary["filesFound"] - 1
    fresh = tmp_path / "fresh"
    sigtrail("index", tree, "--out", fresh, "--quiet", "--show-rejections", "0")
    assert all_keys(out) == all_keys(fresh)
    # And the next night is quiet again.
    proc = sigtrail("index", tree, "--out", out, "--json", "--show-rejections", "0", ok=(0,))
    night3 = __import__("json").loads(proc.stdout)
    assert night3["filesUnchanged"] + len(night3["filesSkipped"]) == summary["filesFound"]


def test_sigkill_at_many_points_then_rerun_gives_exactly_one_runs_rows(corpus, baseline, tmp_path):
    """Kills `sigtrail index` at spread-out moments (some runs twice in a row), then lets a rerun
    finish; every table must hold exactly the uninterrupted run's rows: none lost, none twice."""
    started = time.monotonic()
    sigtrail("index", corpus, "--out", tmp_path / "timing", "--quiet", "--show-rejections", "0",
             "--checkpoint-mib", "1", "--threads", "2", "--split-mib", "1")
    duration = time.monotonic() - started
    points = [duration * f for f in (0.02, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.97)]
    kills_that_landed = 0
    recovered = collections.Counter()
    for n, delay in enumerate(points):
        out = tmp_path / f"out{n}"
        for attempt in range(1 + n % 2):
            proc = subprocess.Popen(
                [sigtrail_binary(), "index", str(corpus), "--out", str(out), "--quiet", "--show-rejections", "0",
                 "--checkpoint-mib", "1", "--threads", "2", "--split-mib", "1"], stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL)
            time.sleep(delay * (1 if attempt == 0 else 0.5))
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                kills_that_landed += 1
            proc.wait()
        proc = sigtrail("index", corpus, "--out", out, "--json", "--show-rejections", "0", "--split-mib", "1")
        summary = __import__("json").loads(proc.stdout)
        for what in ("filesUnchanged", "filesResumed", "interruptedPartsRemoved"):
            recovered[what] += summary[what] > 0
        got = all_keys(out)
        for table in TABLES:
            assert got[table] == baseline[table], f"kill point {n} ({delay:.2f}s): {table} differs"
        leftovers = [p for p in out.rglob(".*.tmp")]
        assert not leftovers, leftovers
    assert kills_that_landed >= len(points) // 2
    assert recovered["filesUnchanged"] > 0, recovered


def test_crash_between_parts_and_their_commit_is_undone_and_resumed(corpus, baseline, tmp_path):
    """The moment a kill may or may not hit, made certain: a complete run whose last commits
    are removed looks exactly like one killed after writing parts but before committing them.
    The rerun must remove those parts, resume the large files at their first uncommitted share,
    and end with the baseline's rows."""
    out = tmp_path / "out"
    sigtrail("index", corpus, "--out", out, "--quiet", "--show-rejections", "0", "--checkpoint-mib", "1",
             "--threads", "2", "--split-mib", "1")
    segments = sorted((out / "_manifest").glob("*.tsv"))
    work = [p for p in segments if any(l.startswith("input\t") for l in p.read_text().splitlines())]
    assert len(work) >= 4
    # Drop commits holding shares of the large files (keeping the first ones, so those files are
    # resumed rather than new) and the run's last commit.
    big = [p for p in work if "/big/" in p.read_text()]
    assert len(big) >= 2
    doomed = sorted(set(big[len(big) // 2:] + [work[-1]]))
    for p in doomed:
        p.unlink()
    proc = sigtrail("index", corpus, "--out", out, "--json", "--show-rejections", "0", "--split-mib", "1")
    summary = __import__("json").loads(proc.stdout)
    assert summary["interruptedPartsRemoved"] > 0
    assert summary["filesResumed"] > 0
    got = all_keys(out)
    for table in TABLES:
        assert got[table] == baseline[table], table


def test_second_run_on_the_same_output_is_refused(corpus, tmp_path):
    out = tmp_path / "out"
    holder = subprocess.Popen(
        [sigtrail_binary(), "index", str(corpus), "--out", str(out), "--quiet", "--show-rejections", "0",
         "--threads", "1"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while not (out / ".sigtrail.lock").exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        second = subprocess.run([sigtrail_binary(), "index", str(corpus), "--out", str(out)], capture_output=True)
        if holder.poll() is None:
            assert second.returncode == 1
            assert f"pid {holder.pid}" in second.stderr.decode()
        # A fleet worker is refused too while a whole-tree run holds the directory.
        fleet = subprocess.run([sigtrail_binary(), "index", str(corpus), "--out", str(out), "--worker", "0",
                                "--workers", "2"], capture_output=True)
        if holder.poll() is None:
            assert fleet.returncode == 1
    finally:
        holder.wait()
