"""`sigtrail index s3://...` against a real HTTP S3 server (moto) behind a proxy that checks every
signature with botocore's signer and injects S3's faults: the rows must be those of the same
corpus indexed from disk, and every fault retried or reported."""
import collections
import json
import os
import shutil
import subprocess
import sys
import threading
import time
import urllib.parse
import http.server

import duckdb
import pytest
from conftest import ROOT, sigtrail_binary

s3_server = pytest.importorskip("s3_server")

TABLES = ("s3_access", "cloudtrail", "rejects")
# Keys with the bytes SigV4 encodes: `=`, `+`, spaces, `%`, `~` and non-ASCII.
ODD_NAMES = ["dt=2026-12-04/a+b c/é~x%41.log", "日本/emoji😀;semi,comma.log"]


def run(args, env, ok=(0, 2)):
    proc = subprocess.run([sigtrail_binary(), *map(str, args)], capture_output=True, env=env, timeout=600)
    assert proc.returncode in ok, f"exit {proc.returncode}: {proc.stderr.decode(errors='replace')[-3000:]}"
    return proc


def rows(out, table, source_map):
    """Every row as a tuple, with source_file mapped to a common name, as a multiset."""
    if not list((out / table).glob("dt=*/part-*.parquet")):
        return collections.Counter()
    con = duckdb.connect()
    cur = con.execute(f"SELECT * FROM read_parquet('{out}/{table}/*/part-*.parquet')")
    names = [d[0] for d in cur.description]
    result = collections.Counter()
    drop = {"run_id", "rejected_at", "dt"} if table == "rejects" else set()
    for row in cur.fetchall():
        record = dict(zip(names, row))
        record["source_file"] = source_map(record["source_file"])
        result[tuple(sorted((k, repr(v)) for k, v in record.items() if k not in drop))] += 1
    return result


@pytest.fixture(scope="module")
def servers():
    moto = s3_server.Moto()
    proxy = s3_server.VerifyingProxy(moto)
    yield moto, proxy
    proxy.stop()
    moto.stop()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    base = tmp_path_factory.mktemp("s3corpus")
    corpus = base / "corpus"
    subprocess.run([sys.executable, os.path.join(ROOT, "tools", "gen_corpus.py"), "--out", str(corpus / "s3"),
                    "--mb", "3", "--seed", "11", "--file-kb", "48"], check=True, capture_output=True)
    # One large plain object: fetched as parallel ranged GETs (past 16 MB).
    subprocess.run([sys.executable, os.path.join(ROOT, "tools", "gen_corpus.py"), "--out", str(corpus / "big"),
                    "--mb", "20", "--seed", "12", "--file-kb", "20000", "--no-compress"], check=True,
                   capture_output=True)
    subprocess.run([sys.executable, os.path.join(ROOT, "tools", "gen_cloudtrail.py"), "--out", str(corpus / "ct"),
                    "--records", "500", "--seed", "11"], check=True, capture_output=True)
    first = sorted(p for p in (corpus / "s3").rglob("*") if p.is_file())[:2]
    for src, name in zip(first, ODD_NAMES):
        (corpus / "odd" / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(src, corpus / "odd" / name)
    return corpus


@pytest.fixture(scope="module")
def bucket(servers, corpus):
    moto, _ = servers
    moto.client.create_bucket(Bucket="trail-logs")
    n = s3_server.upload_tree(moto.client, "trail-logs", corpus, "AWSLogs/")
    assert n > 10
    return "trail-logs"


@pytest.fixture(scope="module")
def local_rows(corpus, tmp_path_factory):
    out = tmp_path_factory.mktemp("local") / "out"
    proc = run(["index", corpus, "--out", out, "-q", "--json", "--show-rejections", "0"], env=dict(os.environ))
    prefix = str(corpus) + "/"
    strip = lambda s: s[len(prefix):] if s.startswith(prefix) else s
    result = {t: rows(out, t, strip) for t in TABLES}
    # The generated corpus holds damaged archives on purpose: the same problems are expected.
    result["problems"] = problems(summary(proc), strip)
    return result


def problems(s, source_map):
    return sorted((source_map(p["path"]), p.get("offset"), p["reason"]) for p in s["fileProblems"])


def s3_map(bucket):
    prefix = f"s3://{bucket}/AWSLogs/"
    return lambda s: s[len(prefix):] if s.startswith(prefix) else s


def summary(proc):
    return json.loads(proc.stdout)


def test_same_rows_from_s3_as_from_disk_every_signature_checked(servers, bucket, local_rows, tmp_path):
    _, proxy = servers
    proxy.faults.reset_counters()
    out = tmp_path / "out"
    proc = run(["index", f"s3://{bucket}/AWSLogs/", "--out", out, "--json", "--show-rejections", "0"],
               env=s3_server.sigtrail_env(proxy))
    assert not proxy.faults.signature_failures
    assert proxy.faults.signatures_checked >= len(proxy.faults.gets) > 10
    for table in TABLES:
        got = rows(out, table, s3_map(bucket))
        assert got == local_rows[table], table
        assert got
    s = summary(proc)
    assert problems(s, s3_map(bucket)) == local_rows["problems"]
    assert s["s3"]["objectsListed"] == s["filesFound"] and s["s3"]["retries"] == 0
    # The large object came as several ranged GETs.
    assert s["s3"]["getRequests"] > s["filesFound"]
    con = duckdb.connect()
    files = {r[0] for r in con.execute(f"SELECT DISTINCT source_file FROM '{out}/s3_access/*/*.parquet'").fetchall()}
    assert f"s3://{bucket}/AWSLogs/odd/{ODD_NAMES[0]}" in files and all(f.startswith("s3://") for f in files)
    # A rerun lists, finds everything unchanged, and GETs nothing.
    proxy.faults.reset_counters()
    again = summary(run(["index", f"s3://{bucket}/AWSLogs/", "--out", out, "--json", "-q"],
                        env=s3_server.sigtrail_env(proxy)))
    assert again["filesUnchanged"] + len(again["filesSkipped"]) == s["filesFound"] and again["filesRead"] == 0
    assert not proxy.faults.gets and again["s3"]["getRequests"] == 0


def test_slowdowns_resets_and_slow_bodies_give_the_same_rows(servers, bucket, local_rows, corpus, tmp_path):
    _, proxy = servers
    faults = proxy.faults
    faults.reset_counters()
    keys = sorted("AWSLogs/" + str(p.relative_to(corpus)) for p in corpus.rglob("*") if p.is_file())
    faults.slowdown_first = 2
    faults.reset_mid_body = faults_reset = set(keys[::3])
    faults.slow_body_keys = set(keys[1::7])
    try:
        out = tmp_path / "out"
        proc = run(["index", f"s3://{bucket}/AWSLogs/", "--out", out, "--json", "--show-rejections", "0"],
                   env=s3_server.sigtrail_env(proxy))
    finally:
        faults.slowdown_first = 0
        faults.reset_mid_body = set()
        faults.slow_body_keys = set()
    s = summary(proc)
    assert problems(s, s3_map(bucket)) == local_rows["problems"]
    fetched = set(faults.gets)
    assert len(fetched) > 10 and all(faults.gets[k] >= 3 for k in fetched)
    cut = faults_reset & fetched
    assert cut and all(faults.gets[k] >= 4 for k in cut)
    assert s["s3"]["retries"] >= 2 * len(fetched) + len(cut)
    for table in TABLES:
        assert rows(out, table, s3_map(bucket)) == local_rows[table], table
    assert not faults.signature_failures


def test_killed_run_resumes_with_exactly_the_rows(servers, bucket, local_rows, corpus, tmp_path):
    _, proxy = servers
    keys = sorted("AWSLogs/" + str(p.relative_to(corpus)) for p in corpus.rglob("*") if p.is_file())
    proxy.faults.slow_body_keys = set(keys)
    out = tmp_path / "out"
    env = s3_server.sigtrail_env(proxy)
    try:
        proc = subprocess.Popen([sigtrail_binary(), "index", f"s3://{bucket}/AWSLogs/", "--out", str(out), "-q",
                                 "--show-rejections", "0", "--checkpoint-mib", "1", "--threads", "1",
                                 "--s3-concurrency", "2"], env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        deadline = time.time() + 120
        # Killed once some inputs are committed and others are not.
        while time.time() < deadline and len(list((out / "_manifest").glob("*-w0-*"))) < 2:
            time.sleep(0.05)
        proc.kill()
        proc.wait()
    finally:
        proxy.faults.slow_body_keys = set()
    committed = len(list((out / "_manifest").glob("*-w0-*")))
    assert committed >= 2
    s = summary(run(["index", f"s3://{bucket}/AWSLogs/", "--out", out, "--json", "-q", "--show-rejections", "0"],
                    env=env))
    assert s["filesUnchanged"] > 0 and s["filesRead"] > 0
    for table in ("s3_access", "cloudtrail"):
        assert rows(out, table, s3_map(bucket)) == local_rows[table], table


def test_object_rewritten_while_read_is_reported_then_reindexed(servers, bucket, corpus, tmp_path):
    moto, proxy = servers
    key = "AWSLogs/odd/" + ODD_NAMES[1]
    original = moto.client.get_object(Bucket=bucket, Key=key)["Body"].read()
    out = tmp_path / "out"
    proxy.faults.rewrite_before_get[key] = original + original[:200]
    try:
        proc = run(["index", f"s3://{bucket}/AWSLogs/odd/", "--out", out, "--json", "--show-rejections", "0"],
                   env=s3_server.sigtrail_env(proxy))
        s = summary(proc)
        assert proc.returncode == 2
        problems = {p["path"]: p["reason"] for p in s["fileProblems"]}
        assert "changed" in problems[f"s3://{bucket}/{key}"], problems
        assert s["filesRead"] == 1
        # Nothing of it was indexed; the next run reads it (and only it).
        con = duckdb.connect()
        assert con.execute(
            f"SELECT count(*) FROM '{out}/s3_access/*/*.parquet' WHERE source_file = 's3://{bucket}/{key}'"
        ).fetchone()[0] == 0
        again = summary(run(["index", f"s3://{bucket}/AWSLogs/odd/", "--out", out, "--json", "-q"],
                            env=s3_server.sigtrail_env(proxy)))
        assert again["filesRead"] == 1 and again["filesUnchanged"] == 1 and not again["fileProblems"]
    finally:
        moto.client.put_object(Bucket=bucket, Key=key, Body=original)


def test_access_denied_prefix_is_reported_and_the_run_goes_on(servers, bucket, tmp_path):
    _, proxy = servers
    proxy.faults.deny_prefixes = {"AWSLogs/ct/"}
    try:
        proc = run(["index", f"s3://{bucket}/AWSLogs/", "--out", tmp_path / "out", "--json", "-q"],
                   env=s3_server.sigtrail_env(proxy))
    finally:
        proxy.faults.deny_prefixes = set()
    s = summary(proc)
    assert proc.returncode == 2
    denied = [p for p in s["fileProblems"] if p["path"].startswith(f"s3://{bucket}/AWSLogs/ct")]
    assert denied and "AccessDenied" in denied[0]["reason"]
    assert s["filesRead"] > 10 and s["cloudTrail"]["files"] == 0


def test_bucket_in_another_region_is_followed(servers, corpus, tmp_path):
    moto, proxy = servers
    moto.client.create_bucket(Bucket="eu-logs")
    s3_server.upload_tree(moto.client, "eu-logs", corpus / "odd", "")
    proxy.faults.bucket_regions["eu-logs"] = "eu-west-1"
    proxy.faults.reset_counters()
    s = summary(run(["index", "s3://eu-logs/", "--out", tmp_path / "out", "--json", "-q"],
                    env=s3_server.sigtrail_env(proxy)))
    assert s["filesRead"] == 2 and not s["fileProblems"]
    assert not proxy.faults.signature_failures


def test_wrong_secret_is_refused_and_named_without_the_secret(servers, bucket, tmp_path):
    _, proxy = servers
    env = s3_server.sigtrail_env(proxy, {"AWS_SECRET_ACCESS_KEY": "not-the-secret"})
    proc = run(["index", f"s3://{bucket}/AWSLogs/", "--out", tmp_path / "out"], env=env, ok=(1,))
    err = proc.stderr.decode()
    assert "SignatureDoesNotMatch" in err and f"s3://{bucket}/AWSLogs/" in err
    assert "not-the-secret" not in err and s3_server.SECRET_KEY not in err


def test_mixed_local_and_s3_inputs_in_one_run(servers, bucket, corpus, tmp_path):
    _, proxy = servers
    s = summary(run(["index", corpus / "ct", f"s3://{bucket}/AWSLogs/odd/", "--out", tmp_path / "out", "--json",
                     "-q"], env=s3_server.sigtrail_env(proxy)))
    local = sum(1 for p in (corpus / "ct").rglob("*") if p.is_file())
    assert s["filesFound"] == local + 2 and s["s3"]["objectsListed"] == 2


def test_moto_own_signature_check_accepts_ours_and_refuses_a_wrong_secret(tmp_path):
    """moto's auth mode (its check is right for simple keys): a user with a key, then only signed calls."""
    moto = s3_server.Moto(auth_after=5)
    try:
        import boto3
        iam = boto3.client("iam", endpoint_url=moto.url, region_name="us-east-1", aws_access_key_id="x",
                           aws_secret_access_key="x")
        iam.create_user(UserName="indexer")
        key = iam.create_access_key(UserName="indexer")["AccessKey"]
        iam.put_user_policy(UserName="indexer", PolicyName="all", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
        moto.client.create_bucket(Bucket="simple")
        body = open(os.path.join(ROOT, "Samples", "s3-access", "logs", "acme-data-0",
                                 "2023-11-15-08-08-13-6C07B5A5950B17F4"), "rb").read()
        boto3.client("s3", endpoint_url=moto.url, region_name="us-east-1", aws_access_key_id=key["AccessKeyId"],
                     aws_secret_access_key=key["SecretAccessKey"]).put_object(Bucket="simple", Key="one.log", Body=body)
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update({"AWS_ACCESS_KEY_ID": key["AccessKeyId"], "AWS_EC2_METADATA_DISABLED": "true",
                    "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"], "AWS_ENDPOINT_URL": moto.url})
        s = summary(run(["index", "s3://simple/one.log", "--out", tmp_path / "ok", "--json", "-q"], env=env))
        assert s["filesRead"] == 1 and s["rowsIndexed"] > 0
        env["AWS_SECRET_ACCESS_KEY"] = "wrong" + key["SecretAccessKey"][5:]
        proc = run(["index", "s3://simple/one.log", "--out", tmp_path / "bad"], env=env, ok=(1,))
        assert "SignatureDoesNotMatch" in proc.stderr.decode()
    finally:
        moto.stop()


def test_since_until_prune_date_prefixes_and_simple_form_keys(servers, bucket, tmp_path):
    moto, proxy = servers
    # CloudTrail's YYYY/MM/DD/ levels of 2024 lie wholly before --since: not listed at all.
    proxy.faults.reset_counters()
    s = summary(run(["index", f"s3://{bucket}/AWSLogs/ct/", "--out", tmp_path / "ct", "--json", "-q", "--since",
                     "2025-01-01T00:00:00Z"], env=s3_server.sigtrail_env(proxy), ok=(0, 1, 2)))
    assert s["s3"]["prefixesPruned"] >= 1
    # 2024/ is listed (its last day is within the margin), 2024/03/ is not; only what lies outside
    # date levels (exports/, the year 9999) is read.
    assert not any("/2024/03/" in urllib.parse.unquote(path) for _, path in proxy.faults.requests)
    assert not any("/2024/" in note["path"] for note in s["fileProblems"] + s["filesSkipped"])
    assert s["cloudTrail"]["files"] == 4
    # Simple-form deliveries (prefixYYYY-MM-DD-hh-mm-ss-ID), 1,200 keys over 12 days: a window of half a
    # day (with a day of margin each side) past the first page of 1,000 keys reads the last two days,
    # jumping there with start-after.
    moto.client.create_bucket(Bucket="simple-form")
    line = open(os.path.join(ROOT, "Samples", "s3-access", "logs", "acme-data-0",
                             "2023-11-15-08-08-13-6C07B5A5950B17F4")).readline()
    for day in range(1, 13):
        for n in range(100):
            key = "logs/2026-11-%02d-%02d-%02d-00-%016X" % (day, n // 60, n % 60, day * 1000 + n)
            moto.client.put_object(Bucket="simple-form", Key=key, Body=line.encode())
    proxy.faults.reset_counters()
    s = summary(run(["index", "s3://simple-form/logs/", "--out", tmp_path / "sf", "--json", "-q", "--since",
                     "2026-11-12T00:00:00Z", "--until", "2026-11-12T12:00:00Z"], env=s3_server.sigtrail_env(proxy)))
    assert s["filesRead"] == 200 and s["s3"]["objectsListed"] == 200
    assert any("start-after=" in path for _, path in proxy.faults.requests)
    con = duckdb.connect()
    days = con.execute(f"SELECT DISTINCT substr(source_file, 23, 10) FROM '{tmp_path}/sf/s3_access/*/*.parquet' "
                       "ORDER BY 1").fetchall()
    assert [d[0] for d in days] == ["2026-11-11", "2026-11-12"]


def test_digest_signatures_are_verified_from_object_metadata(servers, tmp_path):
    """Digests signed the way CloudTrail signs them (an RSA key made here), their signatures in the
    objects' metadata; checked with the public keys as `aws cloudtrail list-public-keys` prints them."""
    import base64
    import gzip
    import hashlib
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding, rsa
    moto, proxy = servers
    moto.client.create_bucket(Bucket="signed-trail")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    fingerprint = hashlib.md5(der).hexdigest()
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps({"PublicKeyList": [{"Value": base64.b64encode(der).decode(), "Fingerprint": fingerprint,
                                                   "ValidityStartTime": "2024-01-01T00:00:00Z"}]}))
    root = "AWSLogs/111122223333/"
    logs = []
    for n in range(2):
        record = {"eventVersion": "1.09", "eventTime": "2024-03-01T0%d:10:00Z" % n, "eventName": "GetObject",
                  "eventSource": "s3.amazonaws.com", "eventID": "e%d" % n, "awsRegion": "us-east-1"}
        content = json.dumps({"Records": [record]}).encode()
        log_key = root + "CloudTrail/us-east-1/2024/03/01/111122223333_CloudTrail_us-east-1_%d.json.gz" % n
        moto.client.put_object(Bucket="signed-trail", Key=log_key, Body=gzip.compress(content))
        logs.append((log_key, hashlib.sha256(content).hexdigest()))
    previous = None
    digests = []
    for n, (log_key, sha) in enumerate(logs):
        digest_key = root + "CloudTrail-Digest/us-east-1/2024/03/01/111122223333_CloudTrail-Digest_%d.json.gz" % n
        digest = {"awsAccountId": "111122223333", "digestStartTime": "2024-03-01T0%d:00:00Z" % n,
                  "digestEndTime": "2024-03-01T0%d:59:59Z" % n, "digestS3Bucket": "signed-trail",
                  "digestS3Object": digest_key, "digestPublicKeyFingerprint": fingerprint,
                  "digestSignatureAlgorithm": "SHA256withRSA",
                  "previousDigestS3Bucket": previous and "signed-trail", "previousDigestS3Object": previous and previous[0],
                  "previousDigestHashValue": previous and previous[1], "previousDigestHashAlgorithm": "SHA-256",
                  "previousDigestSignature": previous and previous[2],
                  "logFiles": [{"s3Bucket": "signed-trail", "s3Object": log_key, "hashValue": sha,
                                "hashAlgorithm": "SHA-256"}]}
        content = json.dumps(digest).encode()
        to_sign = "%s\n%s/%s\n%s\n%s" % (digest["digestEndTime"], "signed-trail", digest_key,
                                         hashlib.sha256(content).hexdigest(), previous[2] if previous else "null")
        signature = key.sign(to_sign.encode(), padding.PKCS1v15(), hashes.SHA256()).hex()
        moto.client.put_object(Bucket="signed-trail", Key=digest_key, Body=gzip.compress(content),
                               Metadata={"signature": signature, "signature-algorithm": "SHA256withRSA"})
        digests.append((digest_key, content, signature))
        previous = (digest_key, hashlib.sha256(content).hexdigest(), signature)
    env = s3_server.sigtrail_env(proxy)
    s = summary(run(["index", "s3://signed-trail/AWSLogs/", "--out", tmp_path / "ok", "--json", "-q",
                     "--cloudtrail-public-keys", keys], env=env))
    v = s["cloudTrail"]["validation"]
    assert (v["signaturesVerified"], v["signaturesInvalid"], v["verified"], v["chainBreaks"]) == (2, 0, 2, 0)
    con = duckdb.connect()
    assert con.execute(f"SELECT DISTINCT log_validation FROM '{tmp_path}/ok/cloudtrail/*/*.parquet'").fetchall() == \
        [("hash and digest signature verified",)]
    # Without the keys the signatures are said unchecked; a re-signed digest is refused.
    s = summary(run(["index", "s3://signed-trail/AWSLogs/", "--out", tmp_path / "nokeys", "--json", "-q"], env=env))
    assert s["cloudTrail"]["validation"]["signaturesUnchecked"] == 2
    forged = key.sign(b"something else", padding.PKCS1v15(), hashes.SHA256()).hex()
    moto.client.put_object(Bucket="signed-trail", Key=digests[1][0], Body=gzip.compress(digests[1][1]),
                           Metadata={"signature": forged, "signature-algorithm": "SHA256withRSA"})
    s = summary(run(["index", "s3://signed-trail/AWSLogs/", "--out", tmp_path / "forged", "--json", "-q",
                     "--cloudtrail-public-keys", keys], env=env))
    v = s["cloudTrail"]["validation"]
    assert (v["signaturesVerified"], v["signaturesInvalid"]) == (1, 1)
    assert any("digest signature invalid" in p["reason"] for p in s["fileProblems"])


def test_an_object_rewritten_between_runs_is_retracted_and_indexed_again(servers, bucket, tmp_path):
    moto, proxy = servers
    key = "AWSLogs/odd/" + ODD_NAMES[0]
    original = moto.client.get_object(Bucket=bucket, Key=key)["Body"].read()
    out = tmp_path / "out"
    env = s3_server.sigtrail_env(proxy)
    first = summary(run(["index", f"s3://{bucket}/AWSLogs/odd/", "--out", out, "--json", "-q"], env=env))
    try:
        shorter = original[: len(original) // 2].rsplit(b"\n", 1)[0] + b"\n"
        moto.client.put_object(Bucket=bucket, Key=key, Body=shorter)
        again = summary(run(["index", f"s3://{bucket}/AWSLogs/odd/", "--out", out, "--json", "-q"], env=env))
        assert again["filesChanged"] == 1 and again["filesUnchanged"] == 1 and again["rowsRetracted"] > 0
        con = duckdb.connect()
        count = con.execute(f"SELECT count(*) FROM '{out}/s3_access/*/*.parquet' "
                            f"WHERE source_file = 's3://{bucket}/{key}'").fetchone()[0]
        assert 0 < count == again["rowsIndexed"] < first["rowsIndexed"]
    finally:
        moto.client.put_object(Bucket=bucket, Key=key, Body=original)
