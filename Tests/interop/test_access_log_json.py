"""S3 server access logs in the form AWS delivers them to CloudWatch Logs (one JSON object per
request, named fields, ISO times, null for '-'), as they reach S3: JSON Lines, CloudWatch Logs
exports (`TIMESTAMP {json}`) and Firehose-delivered subscription envelopes, gzip or not. The same
requests in text and in JSON give the same rows."""
import collections
import datetime
import gzip
import json
import os
import re

import duckdb
from conftest import ROOT, sigtrail

# The text format's fields, in order, and the names the CloudWatch Logs format gives them.
NAMES = ["bucket_owner_id", "bucket_name", "request_time", "remote_ip", "requester", "request_id", "operation",
         "key_name", "request_uri", "http_status", "error_code", "bytes_sent", "object_size", "total_time",
         "turn_around_time", "referrer", "user_agent", "version_id", "host_id", "signature_version",
         "cipher_suite", "authentication_type", "host_header", "tls_version", "access_point_arn", "acl_required"]
LINE = re.compile(r'(\S+) (\S+) \[([^\]]+)\] (\S+) (\S+) (\S+) (\S+) (\S+) (-|"[^"]*") (\S+) (\S+) (\S+) (\S+) (\S+) '
                  r'(\S+) (-|"[^"]*") (-|"[^"]*") (\S+)(?: (\S+) (\S+) (\S+) (\S+) (\S+) (\S+)(?: (\S+) (\S+))?)?$')
INTEGERS = {"http_status", "bytes_sent", "object_size", "total_time", "turn_around_time"}


def record(line):
    m = LINE.match(line)
    if not m:
        return None
    out = {"schema_version_id": "V_1_0", "bucket_arn": "arn:aws:s3:::" + m.group(2)}
    for name, value in zip(NAMES, m.groups()):
        if name == "acl_required" and value is not None:
            out[name] = value == "Yes"  # "-": not required; absent: the field was not delivered
        elif value is None or value in ("-", '"-"'):
            out[name] = None
        elif name == "request_time":
            try:
                t = datetime.datetime.strptime(value, "%d/%b/%Y:%H:%M:%S %z")
            except ValueError:
                return None  # the Samples' deliberately broken times: no JSON form
            out[name] = t.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        elif name in INTEGERS:
            if not value.isdigit():
                return None
            out[name] = int(value)
        else:
            out[name] = value[1:-1] if value.startswith('"') else value
    return out


def rows(out):
    """Every row but where it came from, and field_count: the fields of the delivered text line, which
    a JSON record does not carry (its nulls do not tell a trailing `-` from a field not delivered)."""
    con = duckdb.connect()
    cur = con.execute(
        f"SELECT * EXCLUDE (source_file, source_offset, field_count) FROM '{out}/s3_access/*/*.parquet'")
    names = [d[0] for d in cur.description]
    return collections.Counter(tuple(sorted(zip(names, map(repr, r)))) for r in cur.fetchall())


def test_the_json_forms_give_the_rows_of_the_text_form(tmp_path):
    text_dir, json_dir = tmp_path / "text", tmp_path / "json"
    text_dir.mkdir()
    json_dir.mkdir()
    records = []
    kept = []
    for path in [os.path.join(ROOT, "Samples", "s3-access")]:
        for root, _, names in sorted(os.walk(path)):
            for name in sorted(names):
                data = open(os.path.join(root, name), "rb").read()
                if name.endswith(".gz"):
                    data = gzip.decompress(data)
                for line in data.decode("utf-8", "replace").splitlines():
                    r = record(line)
                    if r is not None:
                        records.append(r)
                        kept.append(line)
    assert len(records) > 200
    (text_dir / "access.log").write_text("\n".join(kept) + "\n")
    third = len(records) // 3
    lines = [json.dumps(r) for r in records]
    # JSON Lines, plain.
    (json_dir / "firehose.jsonl").write_text("\n".join(lines[:third]) + "\n")
    # A CloudWatch Logs export: each line a timestamp and the message, gzip.
    export = "\n".join("%s %s" % (r["request_time"], l) for r, l in zip(records[third:2 * third], lines[third:2 * third]))
    (json_dir / "export-000000.gz").write_bytes(gzip.compress((export + "\n").encode()))
    # Firehose delivering a CloudWatch Logs subscription: envelopes of logEvents, gzip.
    events = [{"id": str(i), "timestamp": 0, "message": l} for i, l in enumerate(lines[2 * third:])]
    envelope = {"messageType": "DATA_MESSAGE", "owner": "111122223333", "logGroup": "s3-access",
                "logStream": "x", "subscriptionFilters": ["f"], "logEvents": events}
    (json_dir / "subscription.gz").write_bytes(gzip.compress((json.dumps(envelope) + "\n").encode()))
    text = json.loads(sigtrail("index", text_dir, "--out", tmp_path / "t", "--json", "-q", "--show-rejections", "0")
                      .stdout)
    js = json.loads(sigtrail("index", json_dir, "--out", tmp_path / "j", "--json", "-q", "--show-rejections", "0")
                    .stdout)
    assert js["linesRead"] == text["linesRead"] == len(records)
    assert js["rowsIndexed"] == text["rowsIndexed"] and js["cloudTrail"]["files"] == 0
    assert rows(tmp_path / "j") == rows(tmp_path / "t")
    con = duckdb.connect()
    presigned = con.execute(f"SELECT count(*) FROM '{tmp_path}/j/s3_access/*/*.parquet' "
                            "WHERE presign_version IS NOT NULL").fetchone()[0]
    assert presigned > 10
