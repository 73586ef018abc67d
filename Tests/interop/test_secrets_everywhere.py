"""No secret survives anywhere: a generator plants a distinct secret in every text field of
access-log lines and CloudTrail records, in every encoding a client, a proxy or an attacker can
give it (percent-encoded names, nested and doubly encoded URLs, JSON escapes, header and
semicolon forms), then every value of every table, every decompressed byte of every part, the
manifest and what the run printed are decoded every way and searched for each secret."""
import json
import os
import re
import secrets as pysecrets
import urllib.parse

import pyarrow.dataset as ds

from conftest import decompress_every_zstd_frame, sigtrail


def forms(secret):
    """The secret behind a secret name, in every form it was found verbatim in by an audit."""
    return [
        "?X-Amz-Signature=" + secret,
        "?x-amz-security-token=" + secret,
        "?X%2DAmz%2DSignature=" + secret,
        "?X%2DAmz%2DSecurity%2DToken=" + secret,
        "%3FX-Amz-Signature%3D" + secret + "%26a%3D1",
        "%253FX-Amz-Signature%253D" + secret,
        ";X-Amz-Signature=" + secret,
        ",Signature=" + secret,
        "https://b.s3.amazonaws.com/k?X-Amz-Signatur%65=" + secret,
        '{"sessionToken":"' + secret + '"}',
        '{"X-Amz-Signatur\\u0065":"' + secret + '"}',
        '{"sessionT\\u006fken":"' + secret + '"}',
    ]


def planted_forms(plant):
    """Every form, each with a secret of its own."""
    return [forms(plant())[k] for k in range(len(forms("")))]


class Planter:
    def __init__(self):
        self.planted = []

    def __call__(self):
        s = "PLNT" + pysecrets.token_hex(12).upper()
        self.planted.append(s)
        return s


# An access-log line whose fields are each replaced in turn; quoted fields stay quoted.
FIELDS = [
    ("bucket_owner", "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be", False),
    ("bucket", "DOC-EXAMPLE-BUCKET1", False),
    ("time", "[06/Feb/2019:00:00:38 +0000]", False),
    ("remote_ip", "192.0.2.3", False),
    ("requester", "arn:aws:iam::123456789012:user/alice", False),
    ("request_id", "3E57427F33A59F07", False),
    ("operation", "REST.GET.OBJECT", False),
    ("key", "photos/k.jpg", False),
    ("request_uri", "GET /photos/k.jpg?versionId=1 HTTP/1.1", True),
    ("status", "200", False),
    ("error_code", "-", False),
    ("bytes_sent", "113", False),
    ("object_size", "113", False),
    ("total_time", "7", False),
    ("turnaround", "6", False),
    ("referer", "https://app.example/p", True),
    ("user_agent", "curl/8.5.0", True),
    ("version_id", "-", False),
    ("host_id", "s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234=", False),
    ("signature_version", "SigV4", False),
    ("cipher_suite", "ECDHE-RSA-AES128-GCM-SHA256", False),
    ("auth_type", "QueryString", False),
    ("host_header", "DOC-EXAMPLE-BUCKET1.s3.us-west-1.amazonaws.com", False),
    ("tls_version", "TLSv1.2", False),
    ("access_point_arn", "-", False),
    ("acl_required", "-", False),
    ("source_region", "us-west-1", False),
    ("extra", "x", False),
]


def access_lines(plant):
    lines = []
    for i, (name, _, quoted) in enumerate(FIELDS):
        for form in planted_forms(plant):
            values = []
            for j, (_, default, q) in enumerate(FIELDS):
                if j == i:
                    if name == "request_uri":
                        v = "GET /photos/k.jpg" + (form if form[0] in "?%;," else "?a=" + form) + " HTTP/1.1"
                    elif name == "time":
                        v = "[06/Feb/2019:00:00:38 +0000]" + form
                    else:
                        v = default + form
                    values.append('"%s"' % v if q else v)
                else:
                    values.append('"%s"' % default if q else default)
            lines.append(" ".join(values))
    # Lines no parser understands, with secrets: they become rejects with excerpts.
    for form in planted_forms(plant):
        lines.append("garbage " + form)
        lines.append("79a5 b [06/Feb/2019:00:00:38 +0000] x " + form)
    return lines


def cloudtrail_records(plant):
    base = {
        "eventVersion": "1.08",
        "userIdentity": {"type": "AssumedRole", "principalId": "AROAEXAMPLE:i-0aaa1aaaa1aaaa1a1",
                         "arn": "arn:aws:sts::111122223333:assumed-role/web/i-0aaa1aaaa1aaaa1a1",
                         "accountId": "111122223333", "accessKeyId": "ASIAEXAMPLEKEY",
                         "sessionContext": {"sessionIssuer": {"type": "Role", "principalId": "AROAEXAMPLE",
                                                              "arn": "arn:aws:iam::111122223333:role/web",
                                                              "accountId": "111122223333", "userName": "web"},
                                            "attributes": {"creationDate": "2024-03-01T00:00:00Z",
                                                           "mfaAuthenticated": "false"}}},
        "eventTime": "2024-03-01T03:00:00Z",
        "eventSource": "s3.amazonaws.com",
        "eventName": "GetObject",
        "awsRegion": "us-east-1",
        "sourceIPAddress": "198.51.100.7",
        "userAgent": "[aws-cli/2.15.30]",
        "errorCode": "AccessDenied",
        "errorMessage": "Access Denied",
        "requestParameters": {"bucketName": "bkt", "Host": "bkt.s3.amazonaws.com", "key": "k.bin"},
        "responseElements": None,
        "additionalEventData": {"SignatureVersion": "SigV4", "AuthenticationMethod": "QueryString",
                                "bytesTransferredOut": 10},
        "requestID": "REQ1",
        "eventID": "00000000-0000-0000-0000-000000000000",
        "readOnly": True,
        "eventType": "AwsApiCall",
        "managementEvent": False,
        "recipientAccountId": "111122223333",
        "eventCategory": "Data",
        "tlsDetails": {"tlsVersion": "TLSv1.2", "cipherSuite": "ECDHE-RSA-AES128-GCM-SHA256",
                       "clientProvidedHostHeader": "bkt.s3.amazonaws.com"},
    }
    paths = []

    def walk(obj, path):
        for k, v in obj.items():
            if isinstance(v, dict):
                walk(v, path + [k])
            elif isinstance(v, str) and k not in ("eventTime", "creationDate"):
                paths.append(path + [k])
    walk(base, [])
    records = []
    n = 0
    for path in paths:
        for form in planted_forms(plant):
            r = json.loads(json.dumps(base))
            o = r
            for k in path[:-1]:
                o = o[k]
            o[path[-1]] = o[path[-1]] + form
            n += 1
            r["eventID"] = "00000000-0000-0000-0000-%012d" % n
            records.append(r)
    # Secrets as members nested in request parameters, and in a policy document held as text.
    for form in planted_forms(plant):
        n += 1
        r = json.loads(json.dumps(base))
        r["eventID"] = "00000000-0000-0000-0000-%012d" % n
        r["requestParameters"]["nested"] = {"url": "https://h/k" + form, "doc": json.dumps({"v": form})}
        records.append(r)
    return records


def decodings(text):
    """The text, and what it becomes after each percent-decoding and JSON unescaping."""
    seen = [text]
    t = text
    for _ in range(4):
        t = urllib.parse.unquote(t)
        t = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), t).replace("\\", "")
        seen.append(t)
    return seen


def assert_no_secret(texts, planted, where):
    blob = "\n".join(d for t in texts for d in decodings(t))
    leaked = [s for s in planted if s in blob]
    assert not leaked, f"{len(leaked)} of {len(planted)} secrets survive in {where}, e.g. {leaked[:3]}"


def test_no_planted_secret_survives_in_any_output(tmp_path):
    plant = Planter()
    logs = tmp_path / "in" / "logs"
    logs.mkdir(parents=True)
    (logs / "2019-02-06-00-00-38-0123456789ABCDEF").write_text("\n".join(access_lines(plant)) + "\n")
    trail = tmp_path / "in" / "AWSLogs" / "111122223333" / "CloudTrail" / "us-east-1" / "2024" / "03" / "01"
    trail.mkdir(parents=True)
    records = cloudtrail_records(plant)
    (trail / "111122223333_CloudTrail_us-east-1_20240301T0300Z_x.json").write_text(json.dumps({"Records": records}))
    # A broken archive: its text is a reject excerpt.
    (trail / "111122223333_CloudTrail_us-east-1_20240301T0305Z_y.json").write_text(
        '{"Records":[{"eventTime":"x","requestParameters":{"sessionToken":"%s"}' % plant())
    out = tmp_path / "out"
    run = sigtrail("index", tmp_path / "in", "--out", out, ok=(2,))
    planted = plant.planted
    assert len(planted) > 400

    # Something of every kind was written: rows in both tables and rejects.
    for table in ("s3_access", "cloudtrail", "rejects"):
        assert list((out / table).rglob("*.parquet")), table

    # Every value of every column of every table, decoded every way.
    for table in ("s3_access", "cloudtrail", "rejects"):
        t = ds.dataset(out / table, format="parquet", partitioning="hive").to_table()
        texts = []
        for name in t.column_names:
            texts.extend(str(v) for v in t.column(name).to_pylist() if v is not None)
        assert_no_secret(texts, planted, table)
    # Every byte of every part, its pages decompressed; the manifest; what the run printed.
    for part in out.rglob("*.parquet"):
        raw = decompress_every_zstd_frame(part.read_bytes()).decode("latin-1")
        assert_no_secret([raw], planted, str(part))
    manifest = [p.read_text(errors="replace") for p in out.rglob("*") if p.is_file() and "_manifest" in str(p)]
    assert manifest
    assert_no_secret(manifest, planted, "the manifest")
    assert_no_secret([run.stdout.decode(errors="replace"), run.stderr.decode(errors="replace")], planted,
                     "the run's output")


def test_scrubbing_keeps_what_is_not_secret(tmp_path):
    """The scrubber fingerprints values, never the text around them: keys, agents and hosts keep
    every other byte."""
    line = ('79a5 bkt [06/Feb/2019:00:00:38 +0000] 192.0.2.3 - 3E57427F33A59F07 REST.GET.OBJECT '
            'dir/%3FX-Amz-Signature%3DABC%26z "GET /bkt/k HTTP/1.1" 200 - 113 - 7 - "-" '
            '"curl https://b/k?X-Amz-Signature=ABC&x=1" - aGk= SigV4 ECDHE-RSA-AES128-GCM-SHA256 '
            'AuthHeader bkt.s3.amazonaws.com TLSv1.2 - - us-east-1\n')
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "2019-02-06-00-00-38-0123456789ABCDEF").write_text(line)
    out = tmp_path / "out"
    sigtrail("index", logs, "--out", out, "--quiet", ok=(0,))
    row = ds.dataset(out / "s3_access", format="parquet", partitioning="hive").to_table().to_pylist()[0]
    import hashlib
    fp = "sha256:" + hashlib.sha256(b"ABC").hexdigest()
    assert row["key"] == "dir/%3FX-Amz-Signature%3D" + fp + "%26z"
    assert row["user_agent"] == "curl https://b/k?X-Amz-Signature=" + fp + "&x=1"
    assert row["source_region"] == "us-east-1"
    assert row["host_header"] == "bkt.s3.amazonaws.com"
