"""The canned hunts and `sigtrail query` on a corpus with planted scenarios whose answers the
generator (tools/gen_hunt.py) wrote down, and the query reader checked against DuckDB on the
same shards and on files written by pyarrow and DuckDB."""
import json
import os
import subprocess
import sys

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import ROOT, sigtrail


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    base = tmp_path_factory.mktemp("hunt")
    subprocess.run([sys.executable, os.path.join(ROOT, "tools", "gen_hunt.py"), "--out", str(base / "c"),
                    "--truth", str(base / "truth.json"), "--noise", "3000"], check=True, capture_output=True)
    out = base / "out"
    # Small parts and row groups, so that pruning has something to skip.
    sigtrail("index", base / "c", "--out", out, "--quiet", "--part-rows", "500", "--row-group-rows", "100", ok=(0,))
    # The same access logs alone: no CloudTrail management events, for the manual forms.
    sal_only = base / "sal-only"
    sigtrail("index", base / "c" / "s3", "--out", sal_only, "--quiet", ok=(0,))
    return {"out": out, "sal_only": sal_only, "truth": json.load(open(base / "truth.json"))}


def hunt(*args):
    proc = sigtrail("hunt", *args, "--format", "json", ok=(0,))
    return json.loads(proc.stdout), proc.stderr.decode()


def ids(rows):
    return sorted(r["id"] for r in rows)


def test_presigned_lists_every_planted_url_with_its_usage(planted):
    rows, _ = hunt("presigned", planted["out"])
    urls = {(r["signer_akid"], r["objects"]) for r in rows}
    for akid, obj in planted["truth"]["presigned_urls"]:
        assert (akid, obj) in urls
    u1 = planted["truth"]["u1"]
    row = next(r for r in rows if r["signer_akid"] == u1["akid"] and r["objects"] == u1["object"])
    assert (row["uses"], row["distinct_ips"]) == (u1["uses"], u1["ips"])
    assert (row["first_use"], row["last_use"]) == (u1["first"], u1["last"])
    assert row["principal"].endswith("/i-0aaa1aaaa1aaaa1a1") and row["expires_at"] == "2024-03-08T01:00:00Z"
    assert len(row["signature_sha256"]) == 64
    # The CloudTrail event delivered twice, and logged in the access logs too, is one use.
    u2 = next(r for r in rows if r["objects"] == "data-bkt/exports/customers.csv")
    assert u2["uses"] == 1 and u2["sources"] == "cloudtrail s3_access"


def test_outside_the_allowed_networks(planted):
    t = planted["truth"]
    args = ["outside", planted["out"]] + sum((["--allow", a] for a in t["allow"]), [])
    rows, _ = hunt(*args)
    assert ids(rows) == t["outside"]


def test_after_termination_finds_every_planted_case(planted):
    rows, _ = hunt("after-termination", planted["out"])
    assert ids(rows) == planted["truth"]["after_termination"]
    # The URL has one id in every hunt (presigned aggregates from stored bytes, the others from values).
    u1 = planted["truth"]["u1"]
    urls, _ = hunt("presigned", planted["out"])
    u1_id = next(r["url_id"] for r in urls if r["signer_akid"] == u1["akid"] and r["objects"] == u1["object"])
    assert {r["url_id"] for r in rows if r["signer_akid"] == u1["akid"]} == {u1_id}
    ended = {r["id"]: (r["instance_id"], r["ended_by"]) for r in rows}
    assert set(ended.values()) == {("i-0aaa1aaaa1aaaa1a1", "TerminateInstances"),
                                   ("i-0bbb2bbbb2bbbb2b2", "StopInstances")}


def test_after_termination_manual_form_without_cloudtrail(planted):
    manual = planted["truth"]["after_termination_manual"]
    rows, _ = hunt("after-termination", planted["sal_only"], "--instance", manual["instance"], "--at", manual["at"])
    assert ids(rows) == manual["ids"]
    rows, note = hunt("after-termination", planted["sal_only"])
    assert rows == []


def test_after_revocation_splits_succeeded_and_denied(planted):
    t = planted["truth"]
    rows, _ = hunt("after-revocation", planted["out"], "--role", t["role"], "--at", t["revoked_at"])
    assert ids([r for r in rows if r["outcome"] == "succeeded"]) == t["after_revocation"]["succeeded"]
    assert ids([r for r in rows if r["outcome"] == "denied"]) == t["after_revocation"]["denied"]
    assert all(r["session_issued_at"] < t["revoked_at"] for r in rows)


def test_revocations_are_found_unaided_and_split(planted):
    t = planted["truth"]
    rows, _ = hunt("revocations", planted["out"])
    assert [(r["revoked_principal"], r["revoked_at"], r["revoke_before"], r["denied"], r["succeeded"])
            for r in rows] == [(v["principal"], v["revoked_at"], v["revoke_before"], v["denied"], v["succeeded"])
                               for v in t["revocations"]]
    assert rows[0]["revoked_by"] == "arn:aws:iam::111122223333:user/ops"
    assert [r["verdict"] for r in rows] == ["did not stop every use", "no use after it"]
    # after-revocation without --role/--at takes the revocation found, with the policy's time.
    found, _ = hunt("after-revocation", planted["out"])
    assert ids([r for r in found if r["outcome"] == "succeeded"]) == t["after_revocation"]["succeeded"]
    assert ids([r for r in found if r["outcome"] == "denied"]) == t["after_revocation"]["denied"]
    assert {r["revoke_before"] for r in found} == {t["revoked_at"]}
    # The shards hold the revocation as typed columns.
    con = duckdb.connect()
    typed = con.execute(f"SELECT revoked_principal, revoke_before FROM '{planted['out']}/cloudtrail/*/*.parquet' "
                        "WHERE revoke_before IS NOT NULL").fetchall()
    assert sorted((p, b.strftime("%Y-%m-%dT%H:%M:%SZ")) for p, b in typed) == sorted([
        (t["role"], t["revoked_at"]), ("arn:aws:iam::111122223333:policy/revoke-batch", "2024-03-01T04:00:00Z")])


def test_a_request_in_both_sources_is_one_use_naming_both(planted):
    both = planted["truth"]["both_sources"]
    rows, _ = hunt("after-termination", planted["out"])
    mine = [r for r in rows if r["id"] in (both["event_id"], both["request_id"])]
    assert [(r["id"], r["source"]) for r in mine] == [(both["event_id"], "cloudtrail s3_access")]
    outside, _ = hunt("outside", planted["out"], *sum((["--allow", a] for a in planted["truth"]["allow"]), []))
    assert both["request_id"] not in ids(outside) and both["event_id"] in ids(outside)
    urls, _ = hunt("presigned", planted["out"])
    url = next(r for r in urls if r["signer_akid"] == both["akid"] and r["objects"] == both["object"])
    assert url["uses"] == 1 and url["sources"] == "cloudtrail s3_access"


def test_long_lived(planted):
    t = planted["truth"]["long_lived"]
    rows, _ = hunt("long-lived", planted["out"], "--over", t["over"])
    assert sorted([r["signer_akid"], r["object"]] for r in rows) == sorted(t["urls"])
    sigv2 = next(r for r in rows if r["version"] == "SigV2")
    assert sigv2["expires_at"] == "2035-01-01T00:00:00Z"


def test_writes(planted):
    rows, _ = hunt("writes", planted["out"])
    assert ids(rows) == planted["truth"]["writes"]


def test_spread(planted):
    t = planted["truth"]["spread"]
    rows, _ = hunt("spread", planted["out"], "--min-ips", t["min_ips"])
    assert sorted([r["signer_akid"], r["objects"]] for r in rows) == sorted(t["urls"])
    assert rows[0]["distinct_ips"] == 4 and rows[0]["distinct_user_agents"] == 2


def test_spread_by_user_agents(planted):
    # The planted URL's two agents qualify it on their own; every URL listed has two agents.
    t = planted["truth"]["spread"]
    rows, _ = hunt("spread", planted["out"], "--min-ips", "1000", "--min-agents", "2")
    assert sorted(t["urls"])[0] in sorted([r["signer_akid"], r["objects"]] for r in rows)
    assert rows and all(r["distinct_user_agents"] >= 2 for r in rows)


def test_denied_tells_favicon_from_probing(planted):
    t = planted["truth"]["denied"]
    rows, _ = hunt("denied", planted["out"])
    probing = [[r["remote_ip"], r["signer_akid"], r["requests"]] for r in rows if r["kind"].startswith("denied")]
    favicon = [[r["remote_ip"], r["requests"]] for r in rows if "favicon" in r["kind"]]
    assert probing == t["probing"] and favicon == t["favicon"]


def test_revoke_policy_is_the_aws_shape_scoped_by_the_evidence(planted):
    t = planted["truth"]
    proc = sigtrail("hunt", "revoke-policy", planted["out"], "--role", t["role"], "--before", t["revoked_at"], ok=(0,))
    policy = json.loads(proc.stdout)
    statement = policy["Statement"][0]
    assert policy["Version"] == "2012-10-17" and statement["Effect"] == "Deny"
    assert statement["Action"] == ["*"] and statement["Resource"] == ["*"]
    assert statement["Condition"] == {"DateLessThan": {"aws:TokenIssueTime": t["revoked_at"]}}
    evidence = proc.stderr.decode()
    for akid in t["sessions"]["revoked"]:
        assert any(akid in line and "revoked" in line for line in evidence.splitlines())
    assert any(t["sessions"]["kept"][0] in line and "kept" in line for line in evidence.splitlines())


def test_point_lookup_prunes_with_bloom_filters_and_agrees_with_duckdb(planted):
    out = planted["out"]
    u1 = planted["truth"]["u1"]
    proc = sigtrail("query", out, "--where", f"credential_akid = '{u1['akid']}'", "--select",
                    "request_time,remote_ip,request_id", "--format", "json", "--explain", ok=(0,))
    rows = json.loads(proc.stdout)
    explain = json.loads(proc.stderr)
    assert explain["rowGroupsSkippedByBloomFilter"] + explain["rowGroupsSkippedByStatistics"] > 0
    con = duckdb.connect()
    want = con.execute(f"SELECT strftime(request_time, '%Y-%m-%dT%H:%M:%SZ'), remote_ip, request_id FROM "
                       f"read_parquet('{out}/s3_access/*/*.parquet') WHERE credential_akid = '{u1['akid']}' "
                       f"ORDER BY ALL").fetchall()
    assert [(r["request_time"], r["remote_ip"], r["request_id"]) for r in rows] == want


@pytest.mark.parametrize("where,sql", [
    ("http_status >= 400 and remote_ip within 192.0.2.0/24", "http_status >= 400 AND remote_ip LIKE '192.0.2.%'"),
    ("operation in (REST.PUT.OBJECT, REST.DELETE.OBJECT) or key startswith 'legacy/'",
     "operation IN ('REST.PUT.OBJECT', 'REST.DELETE.OBJECT') OR starts_with(key, 'legacy/')"),
    ("not (remote_ip within 10.0.0.0/8) and presign_version is not null",
     "NOT (remote_ip LIKE '10.%') AND presign_version IS NOT NULL"),
    ("remote_ip within 2001:db8::/32", "remote_ip LIKE '2001:db8:%'"),
    ("request_time >= 2024-03-01T03:00:00Z and request_time < 2024-03-01T04:00:00Z",
     "request_time >= TIMESTAMPTZ '2024-03-01 03:00:00+00' AND request_time < TIMESTAMPTZ '2024-03-01 04:00:00+00'"),
])
def test_query_filters_agree_with_duckdb(planted, where, sql):
    out = planted["out"]
    rows = json.loads(sigtrail("query", out, "--where", where, "--select", "request_id", "--format", "json",
                               ok=(0,)).stdout)
    con = duckdb.connect()
    want = [r[0] for r in con.execute(f"SELECT request_id FROM read_parquet('{out}/s3_access/*/*.parquet') "
                                      f"WHERE {sql} ORDER BY 1").fetchall()]
    assert sorted(r["request_id"] for r in rows) == want and want


def test_long_in_lists_agree_with_duckdb(planted):
    """More than a handful of values: looked up through a hashed set, pruned by bloom filters."""
    out = planted["out"]
    con = duckdb.connect()
    keys = [r[0] for r in con.execute(f"SELECT DISTINCT credential_akid FROM read_parquet('{out}/s3_access/*/*.parquet') "
                                      f"WHERE credential_akid IS NOT NULL ORDER BY 1").fetchall()]
    assert len(keys) > 8
    chosen = keys[::2] + ["AKIANOTTHEREATALL000"]
    rows = json.loads(sigtrail("query", out, "--where", f"credential_akid in ({', '.join(chosen)})", "--select",
                               "request_id", "--format", "json", ok=(0,)).stdout)
    want = [r[0] for r in con.execute(
        f"SELECT request_id FROM read_parquet('{out}/s3_access/*/*.parquet') WHERE credential_akid IN "
        f"({', '.join(repr(k) for k in chosen)}) ORDER BY 1").fetchall()]
    assert sorted(r["request_id"] for r in rows) == want and want
    rows = json.loads(sigtrail("query", out, "--where", f"credential_akid not in ({', '.join(chosen)})", "--select",
                               "count()", "--format", "json", ok=(0,)).stdout)
    assert rows[0]["count"] == con.execute(
        f"SELECT count(*) FROM read_parquet('{out}/s3_access/*/*.parquet') WHERE credential_akid IS NULL OR "
        f"credential_akid NOT IN ({', '.join(repr(k) for k in chosen)})").fetchone()[0]


def test_group_by_agrees_with_duckdb(planted):
    out = planted["out"]
    rows = json.loads(sigtrail(
        "query", out, "--where", "presign_version is not null", "--group-by", "credential_akid",
        "--select", "credential_akid,count(),count(distinct remote_ip),min(request_time),sum(bytes_sent)",
        "--order-by", "count desc, credential_akid", "--format", "json", ok=(0,)).stdout)
    con = duckdb.connect()
    want = con.execute(
        f"SELECT credential_akid, count(*), count(DISTINCT remote_ip), strftime(min(request_time), "
        f"'%Y-%m-%dT%H:%M:%SZ'), sum(bytes_sent) FROM read_parquet('{out}/s3_access/*/*.parquet') "
        f"WHERE presign_version IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1").fetchall()
    got = [(r["credential_akid"], r["count"], r["count_distinct_remote_ip"], r["min_request_time"],
            r["sum_bytes_sent"]) for r in rows]
    assert got == [tuple(w) for w in want]


def test_query_reads_files_written_by_pyarrow_and_duckdb(tmp_path):
    n = 5000
    t = pa.table({
        "s": [None if i % 7 == 0 else f"v{i % 13}" for i in range(n)],
        "u": [f"unique-{i}" for i in range(n)],
        "i": list(range(n)),
        "n": pa.array([None if i % 5 == 0 else i for i in range(n)], pa.int32()),
        "d": [i * 0.5 for i in range(n)],
        "b": [i % 3 == 0 for i in range(n)],
        "t": pa.array([i * 1_000_000 for i in range(n)], pa.timestamp("us", tz="UTC")),
    })
    variants = {
        "snappy": dict(compression="snappy"), "zstd": dict(compression="zstd"), "gzip": dict(compression="gzip"),
        "none": dict(compression="none"), "v2pages": dict(data_page_version="2.0"),
        "plain": dict(use_dictionary=False), "small-groups": dict(row_group_size=700),
        "delta": dict(use_dictionary=False, column_encoding={"i": "DELTA_BINARY_PACKED", "n": "DELTA_BINARY_PACKED"}),
        # PLAIN text in zstd pages is decompressed straight into the column's arena, v1 and v2 pages.
        "plain-zstd": dict(use_dictionary=False, compression="zstd", data_page_size=2048),
        "plain-zstd-v2": dict(use_dictionary=False, compression="zstd", data_page_size=2048, data_page_version="2.0"),
        # Lengths packed apart from the text: through page buffers (snappy) and the arena (zstd).
        "delta-length": dict(use_dictionary=False, compression="snappy", data_page_size=2048,
                             column_encoding={"s": "DELTA_LENGTH_BYTE_ARRAY", "u": "DELTA_LENGTH_BYTE_ARRAY"}),
        "delta-length-zstd": dict(use_dictionary=False, compression="zstd", data_page_size=2048,
                                  column_encoding={"s": "DELTA_LENGTH_BYTE_ARRAY", "u": "DELTA_LENGTH_BYTE_ARRAY",
                                                   "t": "DELTA_BINARY_PACKED"}),
        "delta-length-v2": dict(use_dictionary=False, compression="zstd", data_page_size=2048, data_page_version="2.0",
                                column_encoding={"s": "DELTA_LENGTH_BYTE_ARRAY", "u": "DELTA_LENGTH_BYTE_ARRAY"}),
    }
    for name, kw in variants.items():
        pq.write_table(t, tmp_path / f"{name}.parquet", **kw)
    duckdb.connect().execute(f"COPY (SELECT * FROM '{tmp_path}/none.parquet') TO '{tmp_path}/duckdb.parquet'")
    expected = t.to_pylist()
    for name in list(variants) + ["duckdb"]:
        rows = json.loads(sigtrail("query", tmp_path / f"{name}.parquet", "--format", "json",
                                   "--order-by", "i", ok=(0,)).stdout)
        assert len(rows) == n, name
        for got, want in zip(rows, expected):
            assert got["s"] == want["s"] and got["u"] == want["u"] and got["i"] == want["i"], name
            assert got["n"] == want["n"] and got["d"] == want["d"] and got["b"] == want["b"], name
            assert got["t"] == want["t"].strftime("%Y-%m-%dT%H:%M:%SZ"), name
    # A filter on a dictionary column and an aggregate, through snappy dictionary pages.
    rows = json.loads(sigtrail("query", tmp_path / "snappy.parquet", "--where", "s in (v1, v2) and n is not null",
                               "--select", "count(),sum(i)", "--format", "json", ok=(0,)).stdout)
    want = [r for r in expected if r["s"] in ("v1", "v2") and r["n"] is not None]
    assert rows == [{"count": len(want), "sum_i": sum(r["i"] for r in want)}]


@pytest.mark.parametrize("args", [["presigned"], ["outside", "--allow", "10.0.0.0/8"], ["spread", "--min-ips", "2"],
                                  ["denied"], ["after-termination"], ["writes"], ["long-lived", "--over", "1h"]])
def test_hunts_answer_the_same_whatever_the_thread_count(planted, args):
    def run(threads):
        return sigtrail("hunt", args[0], planted["out"], *args[1:], "--format", "jsonl", "--threads", threads,
                        ok=(0,)).stdout
    one = run("1")
    assert one and one == run("2") == run("3")


def test_sigv2_urls_differ_by_their_expires(tmp_path):
    """SigV2 URLs carry no signing time or X-Amz-Expires: two of one key and object are told
    apart by their absolute Expires."""
    logs = tmp_path / "logs"
    logs.mkdir()

    def line(minute, ip, expires):
        q = "AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=%d&Signature=c2lnbmF0dXJl%%3D" % expires
        return ('%s data-bkt [01/Mar/2024:02:%02d:00 +0000] %s arn:aws:iam::111122223333:user/legacy RID00000000000%02d '
                'REST.GET.OBJECT legacy/a.tar "GET /data-bkt/legacy/a.tar?%s HTTP/1.1" 200 - 4096 40960 12 9 "-" '
                '"curl/8.5.0" - aG9zdGlk SigV2 ECDHE-RSA-AES128-GCM-SHA256 QueryString '
                'data-bkt.s3.us-east-1.amazonaws.com TLSv1.2 - -' % ("7" * 64, minute, ip, minute, q))

    (logs / "2024-03-01-02-00-00-0123456789ABCDEF").write_text("\n".join(
        [line(1, "10.0.0.1", 2051222400), line(2, "10.0.0.2", 2051222400), line(3, "10.0.0.3", 2082758400)]) + "\n")
    out = tmp_path / "out"
    sigtrail("index", logs, "--out", out, "--quiet", ok=(0,))
    rows, _ = hunt("presigned", out)
    assert sorted((r["expires_at"], r["uses"], r["distinct_ips"]) for r in rows) == [
        ("2035-01-01T00:00:00Z", 2, 2), ("2036-01-01T00:00:00Z", 1, 1)]
    assert len({r["url_id"] for r in rows}) == 2
    spread, _ = hunt("spread", out, "--min-ips", "2")
    assert [r["expires_at"] for r in spread] == ["2035-01-01T00:00:00Z"]


def test_json_output_escapes_every_string(tmp_path):
    # Escapes at every position of an 8-byte word, long clean runs, control characters and
    # non-ASCII text: what the writer's word-at-a-time scan must not miss.
    texts = ["", "plain", "x" * 40, "é😀 ünïcode"]
    for special in ['"', "\\", "\n", "\r", "\t", "\x01", "\x1f"]:
        for pos in range(17):
            texts.append("a" * pos + special + "b" * (16 - pos))
    t = pa.table({"i": list(range(len(texts))), "s": texts})
    pq.write_table(t, tmp_path / "s.parquet")
    for fmt in ("json", "jsonl"):
        out = sigtrail("query", tmp_path / "s.parquet", "--order-by", "i", "--format", fmt, ok=(0,)).stdout
        rows = json.loads(out) if fmt == "json" else [json.loads(line) for line in out.splitlines()]
        assert [r["s"] for r in rows] == texts, fmt
