"""`sigtrail index --out s3://...` publishes the shards to a bucket (parts first, then the
manifest, then replaced parts removed) under a lease; `query` and `hunt` read them back from
there. Against moto behind the signature-checking proxy; pyarrow reads the published parts
straight from the server."""
import collections
import json
import os
import subprocess
import sys
import time

import duckdb
import pytest
from conftest import ROOT, sigtrail_binary

s3_server = pytest.importorskip("s3_server")
pafs = pytest.importorskip("pyarrow.fs")
import pyarrow.dataset as ds  # noqa: E402


def run(args, env, ok=(0, 2)):
    proc = subprocess.run([sigtrail_binary(), *map(str, args)], capture_output=True, env=env, timeout=600)
    assert proc.returncode in ok, f"exit {proc.returncode}: {proc.stderr.decode(errors='replace')[-3000:]}"
    return proc


@pytest.fixture(scope="module")
def servers():
    moto = s3_server.Moto()
    proxy = s3_server.VerifyingProxy(moto)
    moto.client.create_bucket(Bucket="lake")
    yield moto, proxy
    proxy.stop()
    moto.stop()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    corpus = tmp_path_factory.mktemp("outcorpus") / "corpus"
    subprocess.run([sys.executable, os.path.join(ROOT, "tools", "gen_corpus.py"), "--out", str(corpus / "s3"),
                    "--mb", "40", "--days", "0.5", "--seed", "31", "--file-kb", "4000", "--no-compress"], check=True, capture_output=True)
    subprocess.run([sys.executable, os.path.join(ROOT, "tools", "gen_cloudtrail.py"), "--out", str(corpus / "ct"),
                    "--records", "400", "--seed", "31"], check=True, capture_output=True)
    return corpus


def env_for(proxy, home):
    return s3_server.sigtrail_env(proxy, {"HOME": str(home), "XDG_CACHE_HOME": str(home / "cache")})


def counted(table):
    """Rows as a multiset, source_file left out (it names the input, which is the same)."""
    rows = table.drop_columns(["source_file"]).to_pylist()
    return collections.Counter(tuple(sorted((k, repr(v)) for k, v in r.items())) for r in rows)


def s3_rows(moto, prefix, table):
    fs = pafs.S3FileSystem(endpoint_override=f"127.0.0.1:{moto.port}", scheme="http", access_key="x",
                           secret_key="x", region="us-east-1")
    files = [f.path for f in fs.get_file_info(pafs.FileSelector(f"lake/{prefix}{table}", recursive=True))
             if f.path.endswith(".parquet")]
    return counted(ds.dataset(files, filesystem=fs, format="parquet").to_table())


def local_rows(out, table):
    files = sorted(str(p) for p in (out / table).rglob("*.parquet"))
    return counted(ds.dataset(files, format="parquet").to_table())


def test_publish_read_back_rerun_and_heal(servers, corpus, tmp_path):
    moto, proxy = servers
    env = env_for(proxy, tmp_path)
    proxy.faults.reset_counters()
    # Parts over 5 MiB go up as multipart uploads.
    s = json.loads(run(["index", corpus, "--out", "s3://lake/shards/", "--json", "-q", "--show-rejections", "0",
                        "--s3-upload-part-mib", "5", "--part-rows", "400000", "--threads", "1"], env=env).stdout)
    assert s["published"]["parts"] == len(s["parts"]) and s["published"]["segments"] >= 2
    assert not proxy.faults.signature_failures
    uploads = [p for m, p in proxy.faults.writes if m == "POST" and "uploads" in p]
    assert uploads, "no part was large enough for a multipart upload"
    # Parts are uploaded before the manifest segments that name them.
    writes = [p for m, p in proxy.faults.writes if m == "PUT"]
    first_manifest = min(i for i, p in enumerate(writes) if "/_manifest/" in p)
    assert all("/_manifest/" in p or "_sigtrail.lease" in p for p in writes[first_manifest:])
    # What a reader of the bucket sees equals what a local run writes.
    local = tmp_path / "local"
    run(["index", corpus, "--out", local, "-q", "--show-rejections", "0"], env=dict(os.environ))
    for table in ("s3_access", "cloudtrail"):
        assert s3_rows(moto, "shards/", table) == local_rows(local, table), table
    # The lease is gone once the run ends.
    keys = {o["Key"] for o in moto.client.list_objects_v2(Bucket="lake", Prefix="shards/")["Contents"]}
    assert "shards/_sigtrail.lease" not in keys
    # A rerun from the same machine uploads nothing; one from a fresh machine downloads the copy
    # first, reads nothing again and uploads nothing.
    proxy.faults.reset_counters()
    again = json.loads(run(["index", corpus, "--out", "s3://lake/shards/", "--json", "-q"], env=env).stdout)
    assert again["published"] == {"segments": 0, "parts": 0, "bytes": 0, "removed": 0} or (
        again["published"]["parts"] == 0 and again["published"]["removed"] == 0)
    fresh = env_for(proxy, tmp_path / "other-machine")
    elsewhere = json.loads(run(["index", corpus, "--out", "s3://lake/shards/", "--json", "-q"], env=fresh).stdout)
    assert elsewhere["pulled"]["parts"] == len(s["parts"]) and elsewhere["filesRead"] == 0
    assert elsewhere["published"]["parts"] == 0
    # A changed input: its old rows are retracted, rewritten parts uploaded, replaced ones removed.
    victim = sorted((corpus / "s3").rglob("*"))[-1]
    victim.write_bytes(victim.read_bytes()[: len(victim.read_bytes()) // 2].rsplit(b"\n", 1)[0] + b"\n")
    changed = json.loads(run(["index", corpus, "--out", "s3://lake/shards/", "--json", "-q"], env=fresh).stdout)
    assert changed["filesChanged"] == 1 and changed["published"]["removed"] >= 1
    # With --retain, a replaced object stays for Athena queries that listed it, named in the
    # published retained list; the first run after the window removes it.
    victim.write_bytes(victim.read_bytes()[: len(victim.read_bytes()) // 2].rsplit(b"\n", 1)[0] + b"\n")
    kept = json.loads(run(["index", corpus, "--out", "s3://lake/shards/", "--json", "-q", "--retain", "1s"],
                          env=fresh).stdout)
    assert kept["filesChanged"] == 1 and kept["published"]["removed"] == 0
    listed = moto.client.get_object(Bucket="lake", Key="shards/_manifest/retained.csv")["Body"].read().split()
    assert listed[0] == b"part" and len(listed) >= 2
    time.sleep(1.1)
    swept = json.loads(run(["index", corpus, "--out", "s3://lake/shards/", "--json", "-q"], env=fresh).stdout)
    assert swept["published"]["removed"] == len(listed) - 1
    assert moto.client.get_object(Bucket="lake", Key="shards/_manifest/retained.csv")["Body"].read() == b"part\n"
    local2 = tmp_path / "local2"
    run(["index", corpus, "--out", local2, "-q", "--show-rejections", "0"], env=dict(os.environ))
    assert s3_rows(moto, "shards/", "s3_access") == local_rows(local2, "s3_access")
    # query and hunt read the published shards (through their own local copy).
    reader = env_for(proxy, tmp_path / "reader")
    count = json.loads(run(["query", "s3://lake/shards/", "--select", "count()"], env=reader).stdout)["count"]
    assert count == sum(local_rows(local2, "s3_access").values())
    hunt_s3 = run(["hunt", "presigned", "s3://lake/shards/"], env=reader).stdout
    hunt_local = run(["hunt", "presigned", local2], env=dict(os.environ)).stdout
    assert hunt_s3 == hunt_local and hunt_s3


def test_a_live_lease_refuses_a_second_writer_and_a_lapsed_one_is_taken_over(servers, corpus, tmp_path):
    moto, proxy = servers
    env = env_for(proxy, tmp_path)
    key = "leased/_sigtrail.lease"
    moto.client.put_object(Bucket="lake", Key=key,
                           Body=f"sigtrail-lease 1\nholder other-host pid 7\nexpires {int(time.time()) + 600}\n".encode())
    proc = run(["index", corpus / "ct", "--out", "s3://lake/leased/", "-q"], env=env, ok=(1,))
    assert "held by other-host pid 7" in proc.stderr.decode()
    moto.client.put_object(Bucket="lake", Key=key,
                           Body=f"sigtrail-lease 1\nholder other-host pid 7\nexpires {int(time.time()) - 5}\n".encode())
    s = json.loads(run(["index", corpus / "ct", "--out", "s3://lake/leased/", "--json", "-q"], env=env).stdout)
    assert s["published"]["parts"] > 0


def test_a_fleet_publishes_to_one_s3_output_together(servers, corpus, tmp_path):
    """Three workers (--worker I --workers 3), each on its own machine, run at once against the
    same s3:// output: together they publish what one run would, every request signed; a whole
    run or a fleet of another size is refused while a worker's lease is live."""
    moto, proxy = servers
    envs = [env_for(proxy, tmp_path / ("machine%d" % w)) for w in range(3)]
    procs = [subprocess.Popen([sigtrail_binary(), "index", corpus, "--out", "s3://lake/fleet/", "--worker", str(w),
                               "--workers", "3", "--json", "-q", "--show-rejections", "0"],
                              env=envs[w], stdout=subprocess.PIPE, stderr=subprocess.PIPE) for w in range(3)]
    summaries = []
    for p in procs:
        out, err = p.communicate(timeout=600)
        assert p.returncode in (0, 2), err.decode()[-2000:]
        summaries.append(json.loads(out))
    assert sum(s["filesFound"] for s in summaries) == sum(1 for f in corpus.rglob("*") if f.is_file())
    local = tmp_path / "local"
    run(["index", corpus, "--out", local, "-q", "--show-rejections", "0"], env=dict(os.environ))
    for table in ("s3_access", "cloudtrail"):
        assert s3_rows(moto, "fleet/", table) == local_rows(local, table), table
    keys = {o["Key"] for o in moto.client.list_objects_v2(Bucket="lake", Prefix="fleet/")["Contents"]}
    assert not any("_sigtrail.lease" in k for k in keys)
    # A reader sees every worker's rows.
    reader = env_for(proxy, tmp_path / "reader")
    count = json.loads(run(["query", "s3://lake/fleet/", "--select", "count()"], env=reader).stdout)["count"]
    assert count == sum(local_rows(local, "s3_access").values())
    # While worker 1 of 3 holds its lease, a whole run and a worker of a fleet of 2 are refused;
    # another worker of the same fleet is not.
    moto.client.put_object(Bucket="lake", Key="fleet/_sigtrail.lease.s1of3",
                           Body=f"sigtrail-lease 1\nholder pod-1 pid 9\nexpires {int(time.time()) + 600}\n".encode())
    whole = run(["index", corpus / "ct", "--out", "s3://lake/fleet/", "-q"], env=envs[0], ok=(1,))
    assert "fleet/_sigtrail.lease.s1of3 is held by pod-1" in whole.stderr.decode()
    other = run(["index", corpus / "ct", "--out", "s3://lake/fleet/", "-q", "--worker", "0", "--workers", "2"],
                env=envs[0], ok=(1,))
    assert "held by pod-1" in other.stderr.decode()
    run(["index", corpus, "--out", "s3://lake/fleet/", "-q", "--worker", "0", "--workers", "3",
         "--show-rejections", "0"], env=envs[0])
    keys = {o["Key"] for o in moto.client.list_objects_v2(Bucket="lake", Prefix="fleet/")["Contents"]}
    assert "fleet/_sigtrail.lease.s0of3" not in keys and "fleet/_sigtrail.lease" not in keys


def test_readers_fetch_only_the_ranges_they_read(servers, corpus, tmp_path):
    """query and hunt of an s3:// output GET its manifest, then byte ranges of the parts: the
    footers, the column chunks of the row groups a scan reads and bloom filters; a second run
    reads them from its local copy. Answers equal those of the same output on disk."""
    moto, proxy = servers
    env = env_for(proxy, tmp_path / "writer")
    run(["index", corpus, "--out", "s3://lake/inplace/", "-q", "--show-rejections", "0", "--row-group-rows", "4096"],
        env=env)
    local = tmp_path / "local"
    run(["index", corpus, "--out", local, "-q", "--show-rejections", "0", "--row-group-rows", "4096"],
        env=dict(os.environ))
    objects = moto.client.list_objects_v2(Bucket="lake", Prefix="inplace/")["Contents"]
    part_bytes = sum(o["Size"] for o in objects if o["Key"].endswith(".parquet"))
    reader = env_for(proxy, tmp_path / "reader")

    def fetched():
        with proxy.faults.lock:
            return sum(n for k, n in proxy.faults.get_bytes.items() if k.endswith(".parquet"))

    def query(out, *args, env):
        return json.loads(run(["query", out, "--format", "json", *args], env=env).stdout)

    # A count is answered from the footers.
    proxy.faults.reset_counters()
    assert query("s3://lake/inplace/", "--select", "count()", env=reader) == query(
        local, "--select", "count()", env=dict(os.environ))
    footers = fetched()
    assert 0 < footers < part_bytes / 10, (footers, part_bytes)  # measured: 5%
    # A lookup by request id: the bloom filters pass over the row groups that cannot hold it.
    rid = duckdb.connect().execute(
        f"SELECT request_id FROM read_parquet('{local}/s3_access/*/*.parquet') WHERE request_id IS NOT NULL "
        "ORDER BY request_id LIMIT 1 OFFSET 500").fetchone()[0]
    lookup = ["--where", f"request_id = '{rid}'", "--select", "request_id,remote_ip,key"]
    proxy.faults.reset_counters()
    assert query("s3://lake/inplace/", *lookup, env=reader) == query(local, *lookup, env=dict(os.environ))
    assert fetched() < part_bytes / 6, (fetched(), part_bytes)  # measured: 9%
    # Again: everything it needs is in the reader copy already.
    proxy.faults.reset_counters()
    query("s3://lake/inplace/", *lookup, env=reader)
    assert fetched() == 0
    # On the machine that wrote the output, the parts its staging copy holds whole are linked.
    proxy.faults.reset_counters()
    assert query("s3://lake/inplace/", *lookup, env=env) == query(local, *lookup, env=dict(os.environ))
    assert fetched() == 0
    # A hunt reads what it reads, and answers as on disk.
    assert run(["hunt", "presigned", "s3://lake/inplace/"], env=reader).stdout == run(
        ["hunt", "presigned", local], env=dict(os.environ)).stdout
    # So does the report (which reads the drawn URLs' uses again, from the files that hold them),
    # but for the line naming the output and the time it was made.
    def report(out, env):
        text = run(["report", out, "--format", "md", "--allow", "10.0.0.0/8"], env=env).stdout.decode()
        return [line for line in text.splitlines() if "generated" not in line]
    remote = report("s3://lake/inplace/", reader)
    assert remote == report(local, dict(os.environ)) and any(line.startswith("### ") for line in remote)


def test_throttled_uploads_are_retried(servers, corpus, tmp_path):
    _, proxy = servers
    proxy.faults.reset_counters()
    proxy.faults.put_slowdown_first = 1
    try:
        s = json.loads(run(["index", corpus / "ct", "--out", "s3://lake/throttled/", "--json", "-q"],
                           env=env_for(proxy, tmp_path)).stdout)
    finally:
        proxy.faults.put_slowdown_first = 0
    assert s["published"]["parts"] == len(s["parts"]) > 0
    assert all(n >= 2 for n in proxy.faults.puts.values())
    assert not proxy.faults.signature_failures
