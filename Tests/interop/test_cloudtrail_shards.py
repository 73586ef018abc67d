"""The cloudtrail table read back by DuckDB and pyarrow, compared with what the generator wrote,
plus the public sample records with the lineage chain the seed article is about."""
import collections
import json
import os
import subprocess
import sys
import urllib.parse

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import (ROOT, compare, decompress_every_zstd_frame, rows_by_duckdb, rows_by_pyarrow, sigtrail,
                      sigtrail_binary)

TIMESTAMP_COLUMNS = ("event_time", "session_created_at", "signed_at", "expires_at", "issued_expiration")
JSON_COLUMNS = ("request_parameters", "response_elements", "additional_event_data", "resources")
SAMPLES = os.path.join(ROOT, "..", "shared", "samples", "cloudtrail")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    base = tmp_path_factory.mktemp("ct")
    corpus, out = base / "corpus", base / "out"
    subprocess.run([sys.executable, os.path.join(ROOT, "tools", "gen_cloudtrail.py"), "--out", str(corpus),
                    "--records", "1500", "--seed", "3", "--truth", str(base / "truth.jsonl"),
                    "--secrets", str(base / "secrets.txt")], check=True)
    proc = sigtrail("index", str(corpus), "--out", str(out), "--json",
                           "--show-rejections", "-1", "--row-group-rows", "300")
    return {
        "corpus": str(corpus), "out": str(out), "summary": json.loads(proc.stdout), "stdout": proc.stdout,
        "stderr": proc.stderr, "truth": [json.loads(l) for l in open(base / "truth.jsonl")],
        "secrets": [s for s in open(base / "secrets.txt").read().split("\n") if s],
        "parts": sorted(str(p) for p in (out / "cloudtrail").rglob("*.parquet")),
    }


def expected_rows(run):
    rows = {}
    for t in run["truth"]:
        if "row" in t:
            row = dict(t["row"], source_file=os.path.join(run["corpus"], t["file"]))
            rows[(row["source_file"], t["offset"])] = row
    return rows


def test_summary_reconciles_and_names_every_skip(run):
    s, ct = run["summary"], run["summary"]["cloudTrail"]
    truth = run["truth"]
    rows = sum(1 for t in truth if "row" in t)
    assert ct["recordsIndexed"] == rows
    assert ct["recordsRejected"] == sum(1 for t in truth if "reject" in t) == 1
    assert ct["recordsSkipped"] == {"insight_event": 1}
    assert ct["recordsRead"] == rows + 1 + 1
    assert s["rejectionsByReason"] == {"malformed_json": 1}
    skipped = collections.Counter(n["reason"] for n in s["filesSkipped"])
    assert skipped == {"CloudTrail digest file (log validation), not events": 2,
                       "CloudTrail Insights events, not API events": 1}
    assert [os.path.basename(p["path"]) for p in s["fileProblems"]] == ["corrupt.json.gz"]
    assert "corrupt gzip" in s["fileProblems"][0]["reason"]
    assert sum(p["rows"] for p in s["parts"] if p["table"] == "cloudtrail") == rows


def test_duplicate_delivery_is_kept_and_counted_once_by_event_id(run):
    con = duckdb.connect()
    glob = os.path.join(run["out"], "cloudtrail", "*", "*.parquet")
    rows, events = con.execute(f"SELECT count(*), count(DISTINCT event_id) FROM read_parquet('{glob}')").fetchone()
    assert rows == events + 1
    dup = con.execute(f"SELECT event_id, count(*), count(DISTINCT source_file) FROM read_parquet('{glob}') "
                      "GROUP BY 1 HAVING count(*) > 1").fetchall()
    assert len(dup) == 1 and dup[0][1:] == (2, 2)


def test_rows_do_not_depend_on_the_thread_count(run, tmp_path):
    outs = []
    for threads in ("1", "3"):
        out = tmp_path / threads
        sigtrail("index", run["corpus"], "--out", out, "--threads", threads, "--quiet", "--part-rows", "400")
        outs.append(str(out))
    con = duckdb.connect()
    q = ("SELECT * EXCLUDE (dt) FROM read_parquet('{}/cloudtrail/*/*.parquet', hive_partitioning = true) "
         "ORDER BY source_file, source_offset")
    a, b = (con.execute(q.format(o)).fetchall() for o in outs)
    assert len(a) == len(b) > 1000
    assert a == b


def test_rejection_is_reported_at_the_broken_record(run):
    want = [t for t in run["truth"] if "reject" in t][0]
    location = "%s:%d: rejected: malformed_json" % (os.path.join(run["corpus"], want["file"]), want["offset"])
    assert location in run["stderr"].decode()


def test_duckdb_reads_every_column_as_generated(run):
    glob = os.path.join(run["out"], "cloudtrail", "*", "*.parquet")
    compare(expected_rows(run), rows_by_duckdb(glob, TIMESTAMP_COLUMNS, json_columns=JSON_COLUMNS), "duckdb")


def test_pyarrow_reads_every_column_as_generated(run):
    got, table = rows_by_pyarrow(os.path.join(run["out"], "cloudtrail"), TIMESTAMP_COLUMNS,
                                 json_columns=JSON_COLUMNS)
    assert table.schema.field("event_time").type == pa.timestamp("us", tz="UTC")
    assert table.schema.field("bytes_out").type == pa.int64()
    assert table.schema.field("read_only").type == pa.bool_()
    compare(expected_rows(run), got, "pyarrow")


def test_parts_are_sorted_and_carry_metadata(run):
    assert len(run["parts"]) >= 2
    assert any(pq.ParquetFile(p).metadata.num_row_groups > 1 for p in run["parts"])
    for path in run["parts"]:
        f = pq.ParquetFile(path)
        assert f.metadata.metadata[b"sigtrail.table"] == b"cloudtrail"
        assert f.metadata.created_by.startswith("sigtrail version ")
        times = pq.read_table(path, columns=["event_time"]).column("event_time").to_pylist()
        assert times == sorted(times)


def test_no_session_token_or_signature_reaches_any_output_byte(run):
    needles = set()
    for s in run["secrets"]:
        needles.add(s.encode())
        needles.add(urllib.parse.quote(s, safe="").encode())
        needles.add(json.dumps(s)[1:-1].encode())
    assert len(needles) > 100
    blobs = [run["stdout"], run["stderr"]]
    for directory, _, names in os.walk(run["out"]):  # parts of every table, the manifest
        for name in names:
            raw = open(os.path.join(directory, name), "rb").read()
            blobs.append(raw)
            if name.endswith(".parquet"):
                blobs.append(decompress_every_zstd_frame(raw))
    for blob in blobs:
        for needle in needles:
            assert needle not in blob, "a planted secret reached the output"
    con = duckdb.connect()
    glob = os.path.join(run["out"], "cloudtrail", "*", "*.parquet")
    n = con.execute(f"SELECT count(*) FROM read_parquet('{glob}') WHERE response_elements LIKE "
                    "'%\"sessionToken\":\"sha256:%'").fetchone()[0]
    assert n > 0


def test_hunts_can_join_signing_key_to_its_instance(run):
    """The lineage join the seed article needs: a presigned use's key -> the AssumeRole that issued it."""
    con = duckdb.connect()
    glob = os.path.join(run["out"], "cloudtrail", "*", "*.parquet")
    joined = con.execute(f"""
        SELECT count(*) FROM read_parquet('{glob}') use
        JOIN read_parquet('{glob}') issue ON issue.issued_access_key_id = use.access_key_id
        WHERE use.presign_version IS NOT NULL AND issue.instance_id IS NOT NULL
          AND use.instance_id = issue.instance_id""").fetchone()[0]
    assert joined > 0


@pytest.mark.skipif(not os.path.isdir(SAMPLES), reason="../shared/samples is absent")
def test_public_samples_index_with_their_lineage(tmp_path):
    proc = sigtrail("index", SAMPLES, "--out", str(tmp_path), "--json")
    s = json.loads(proc.stdout)
    ct = s["cloudTrail"]
    assert ct["recordsRejected"] == 0
    assert ct["recordsSkipped"] == {"insight_event": 2}
    # The lineage file repeats seven OTRF records: the same events delivered twice, both kept.
    con = duckdb.connect()
    t = f"read_parquet('{tmp_path}/cloudtrail/*/*.parquet')"
    assert con.execute(f"SELECT count(event_id) - count(DISTINCT event_id) FROM {t}").fetchone()[0] == 7
    assert {os.path.basename(n["path"]) for n in s["filesSkipped"]} == {"awsdocs-insights-events.json", "README.md"}
    issued = con.execute(f"""SELECT DISTINCT instance_id, role_arn, CAST(issued_expiration AS VARCHAR), identity_type,
                                    invoked_by, issued_session_token_sha256 IS NOT NULL
                             FROM {t} WHERE issued_access_key_id = 'ASIA5FLZVX4OPVKKVBMX'""").fetchall()
    assert issued == [("i-0317f6c6b66ae9c40",
                       "arn:aws:iam::123456789123:role/MordorNginxStack-BankingWAFRole-9S3E0UAE1MM0",
                       "2020-09-14 07:10:27+00", "AWSService", "ec2.amazonaws.com", True)]
    uses = con.execute(f"""SELECT event_name, count(DISTINCT event_id), min(source_ip), min(instance_id), min(ec2_role_delivery),
                                  min(CAST(session_created_at AS VARCHAR))
                           FROM {t} WHERE access_key_id = 'ASIA5FLZVX4OPVKKVBMX' GROUP BY 1 ORDER BY 1""").fetchall()
    assert uses == [("GetObject", 2, "1.2.3.4", "i-0317f6c6b66ae9c40", "1.0", "2020-09-14 00:48:30+00"),
                    ("ListBuckets", 2, "1.2.3.4", "i-0317f6c6b66ae9c40", "1.0", "2020-09-14 00:48:30+00"),
                    ("ListObjects", 7, "1.2.3.4", "i-0317f6c6b66ae9c40", "1.0", "2020-09-14 00:48:30+00")]
    stop = con.execute(f"SELECT target_instance_ids, event_version FROM {t} WHERE event_name = 'StopInstances' "
                       "AND event_version = '1.0'").fetchall()
    assert stop == [("i-ebeaf9e2", "1.0")]
    key_material = con.execute(f"SELECT response_elements FROM {t} WHERE event_name = 'CreateKeyPair'").fetchone()[0]
    assert json.loads(key_material)["keyMaterial"] == "<sensitiveDataRemoved>"
    sigv2 = con.execute(f"SELECT presign_version, authentication_method, credential_akid, key_kind FROM {t} "
                        "WHERE event_name = 'ListBuckets' AND signature_version = 'SigV2'").fetchall()
    assert sigv2 == [("SigV2", "QueryString", "AKIAIOSFODNN7EXAMPLE", "AKIA")]
    federation = con.execute(f"SELECT issued_access_key_id, CAST(issued_expiration AS VARCHAR), assumed_role_arn "
                             f"FROM {t} WHERE event_name = 'GetFederationToken'").fetchall()
    assert len(federation) == 1 and federation[0][1] == "2024-11-30 20:43:17+00"
    assert federation[0][0].startswith("ASIA") and ":federated-user/" in federation[0][2]
    for path in (tmp_path / "cloudtrail").rglob("*.parquet"):
        raw = open(path, "rb").read()
        assert b"IQoJb3JpZ2luX2VjEKn" not in decompress_every_zstd_frame(raw)


def test_eventbridge_envelope_stands_in_and_no_time_anywhere_is_rejected(tmp_path):
    events = tmp_path / "in" / "bridge.jsonl"
    events.parent.mkdir()
    base = '{"version":"0","detail-type":"AWS API Call via CloudTrail","source":"aws.s3",'
    events.write_text(
        base + '"account":"111122223333","time":"2024-03-01T05:23:00Z","region":"eu-west-1",'
        '"detail":{"eventName":"GetObject","eventSource":"s3.amazonaws.com"}}\n'
        + base + '"account":"111122223333","region":"eu-west-1","detail":{"eventName":"PutObject"}}\n')
    out = tmp_path / "out"
    sigtrail("index", tmp_path / "in", "--out", out, "-q", "--show-rejections", "0")
    con = duckdb.connect()
    rows = con.execute(f"SELECT event_name, epoch_us(event_time), aws_region, recipient_account_id, envelope_fields "
                       f"FROM '{out}/cloudtrail/*/*.parquet'").fetchall()
    assert rows == [("GetObject", 1709270580000000, "eu-west-1", "111122223333", "time,region,account")]
    rejects = con.execute(f"SELECT reason FROM '{out}/rejects/*/*.parquet'").fetchall()
    assert rejects == [("no_event_time",)]


def test_digests_catch_a_tampered_archive_a_deleted_one_and_a_broken_chain(tmp_path):
    import gzip
    import hashlib
    corpus = tmp_path / "ct"
    subprocess.run([sys.executable, os.path.join(ROOT, "tools", "gen_cloudtrail.py"), "--out", str(corpus),
                    "--records", "900", "--seed", "17"], check=True, capture_output=True)
    digest_path = next(corpus.rglob("CloudTrail-Digest/**/digest.json.gz"))
    first = gzip.decompress(digest_path.read_bytes())
    digest = json.loads(first)
    keys = [entry["s3Object"] for entry in digest["logFiles"]]
    assert len(keys) >= 3
    # A second digest, chained to the first by its hash, as CloudTrail chains them.
    second_key = digest["digestS3Object"].replace("digest.json.gz", "digest-2.json.gz")
    second = dict(digest, digestS3Object=second_key, previousDigestS3Object=digest["digestS3Object"],
                  previousDigestHashValue=hashlib.sha256(first).hexdigest(), logFiles=[])
    (corpus / second_key).write_bytes(gzip.compress(json.dumps(second).encode()))
    out = tmp_path / "intact"
    s = json.loads(sigtrail("index", corpus, "--out", out, "--json", "-q").stdout)
    v = s["cloudTrail"]["validation"]
    assert (v["digests"], v["verified"], v["mismatched"], v["missing"], v["chainBreaks"]) == (2, len(keys), 0, 0, 0)
    # Files no digest names are listed one by one (exports, the late delivery, ...).
    assert len(v["notCovered"]) == v["noDigest"] > 0
    assert not {str(corpus / k) for k in keys} & set(v["notCovered"])
    # A later run with something new reads the digests again; the files they name were indexed
    # before and are not read again: counted as such, not as verified.
    (corpus / "late.json").write_text(json.dumps({"Records": [{"eventTime": "2024-03-01T00:00:00Z",
                                                               "eventName": "X", "eventID": "late"}]}))
    v = json.loads(sigtrail("index", corpus, "--out", out, "--json", "-q").stdout)["cloudTrail"]["validation"]
    assert (v["verified"], v["indexedEarlier"], v["noDigest"]) == (0, len(keys), 1)
    (corpus / "late.json").unlink()
    # One byte of one archive's content changed (still valid JSON), another archive deleted, and the
    # first digest rewritten (its successor holds the old hash).
    tampered = corpus / keys[0]
    text = gzip.decompress(tampered.read_bytes())
    i = text.index(b'"eventName":"') + len(b'"eventName":"')
    tampered.write_bytes(gzip.compress(text[:i] + bytes([text[i] ^ 0x20]) + text[i + 1:]))
    (corpus / keys[1]).unlink()
    digest_path.write_bytes(gzip.compress(first + b" "))
    out = tmp_path / "tampered"
    s = json.loads(sigtrail("index", corpus, "--out", out, "--json", "-q").stdout)
    v = s["cloudTrail"]["validation"]
    assert (v["verified"], v["mismatched"], v["missing"], v["chainBreaks"]) == (len(keys) - 2, 1, 1, 1)
    problems = {p["path"]: p["reason"] for p in s["fileProblems"]}
    assert "altered since CloudTrail delivered it" in problems[str(tampered)]
    assert "missing" in problems[keys[1]]
    assert "digest chain broken" in problems[str(digest_path)]
    con = duckdb.connect()
    states = dict(con.execute(f"SELECT source_file, any_value(log_validation) FROM '{out}/cloudtrail/*/*.parquet' "
                              "GROUP BY 1").fetchall())
    assert states[str(tampered)] == "hash mismatch"
    assert states[str(corpus / keys[2])] == "hash verified (digest signature not checked)"


def test_a_local_copy_that_kept_the_digest_metadata_is_signature_checked(tmp_path):
    """`aws s3api head-object ... > DIGEST.head.json` keeps a digest's signature beside a local copy."""
    import base64
    import gzip
    import hashlib
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding, rsa
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps({"PublicKeyList": [{"Value": base64.b64encode(der).decode(), "Fingerprint": "ab12"}]}))
    root = tmp_path / "copy"
    log_key = "AWSLogs/111122223333/CloudTrail/us-east-1/2024/03/01/log.json.gz"
    content = json.dumps({"Records": [{"eventTime": "2024-03-01T00:10:00Z", "eventName": "GetObject",
                                       "eventID": "e1", "eventVersion": "1.09"}]}).encode()
    (root / log_key).parent.mkdir(parents=True)
    (root / log_key).write_bytes(gzip.compress(content))
    digest_key = "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2024/03/01/digest.json.gz"
    digest = {"digestEndTime": "2024-03-01T01:00:00Z", "digestS3Bucket": "trail", "digestS3Object": digest_key,
              "digestPublicKeyFingerprint": "ab12", "previousDigestSignature": None,
              "logFiles": [{"s3Object": log_key, "hashValue": hashlib.sha256(content).hexdigest()}]}
    text = json.dumps(digest).encode()
    (root / digest_key).parent.mkdir(parents=True)
    (root / digest_key).write_bytes(gzip.compress(text))
    to_sign = "2024-03-01T01:00:00Z\ntrail/%s\n%s\nnull" % (digest_key, hashlib.sha256(text).hexdigest())
    signature = key.sign(to_sign.encode(), padding.PKCS1v15(), hashes.SHA256()).hex()
    (root / (digest_key + ".head.json")).write_text(json.dumps({"Metadata": {"signature": signature}}))
    s = json.loads(sigtrail("index", root, "--out", tmp_path / "out", "--json", "-q", "--cloudtrail-public-keys",
                            keys, ok=(0,)).stdout)
    v = s["cloudTrail"]["validation"]
    assert (v["signaturesVerified"], v["verified"]) == (1, 1)
    con = duckdb.connect()
    assert con.execute(f"SELECT log_validation FROM '{tmp_path}/out/cloudtrail/*/*.parquet'").fetchall() == \
        [("hash and digest signature verified",)]
