"""Real records from other projects' parser tests, and what those parsers say of them: sigtrail
agrees wherever they are right, and where they are not, the test says why.

Sources (read, and the few lines needed quoted here):
- open-telemetry/opentelemetry-collector-contrib, extension/encoding/awslogsencodingextension/internal/unmarshaler/:
  s3-access-log/testdata/valid_s3_access_log.log (commit 5807cbd) and its _expected.yaml (052bc34);
  cloudtraillog/testdata/cloudtrail_log.json (96e4eca) and cloudtrail_log_expected.yaml (135e995).
- A public Python `s3_log_parser` unit test (test_simple): a SigV2 presigned GET by an assumed role.
"""
import json

import duckdb
from conftest import sigtrail

OTEL_S3_LINE = (
    '79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be amzn-s3-demo-bucket1 [06/Feb/2019:00:00:38 '
    '+0000] 192.0.2.3 79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be 3E57427F3EXAMPLE '
    'REST.GET.VERSIONING - "GET /amzn-s3-demo-bucket1?versioning HTTP/1.1" 200 - 113 - 7 - "-" "S3Console/0.4" - '
    's9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234= SigV4 ECDHE-RSA-AES128-GCM-SHA256 '
    'AuthHeader amzn-s3-demo-bucket1.s3.us-west-1.amazonaws.com TLSV1.2 '
    'arn:aws:s3:us-west-1:123456789012:accesspoint/example-AP Yes')

PY_SIGV2_LINE = (
    '2b336b437385372703f3b090372adfd0f412c4ff290d502294f681a29b9fd5fc payload [18/Aug/2015:06:10:29 +0000] '
    '22.22.22.22 arn:aws:sts::11111111111:assumed-role/lambda/awslambda_738_20150817233633493 462724543131D25B '
    'REST.GET.OBJECT FREE.zip "GET /FREE.zip?AWSAccessKeyId=ASIAIVW2OAE7OBZF4REQ&Expires=1439881105&'
    'Signature=DW5c3gIGTTN3soASLzd0zHw5UJA%3D&x-amz-security-token=AQoDYXdzEFEasAJ6n6m0x8GdQRc3Vib26N9Q%2B4qZjRl2rxv3'
    'SMUo588qtSl5%2F5ojYDgn08AzhKFT%2FoYU8PzuPUdmsZuSavxlgwBZd81tu5PSG1Qn2V9DcvvCU%2BTIyYzpcyKm5Tt9kxam%2FpdGIT6C8ScZ4y'
    'dGgZQ3ft9NRGe5rddY1%2FEzkRYZiM0ALvvDy3yl4Ib7M8NZ0rC3wN8JhKVgvEAn4D7zjmV5YqbOZ0MM6oqFRbEAzlt2PqX%2FVyn6P0ktujgoLlND4'
    'KQJoDCmk1WRFMIw47rFND1fswhoNoBsYoiP21dUc4al64Obk%2BInwjWF%2BbITLQViyWgJgNWBxFYAvrvcT1jvEQFcFsb6sDnFq5xet%2FVofNJg4f'
    '%2F%2BB36ih7NndrDW%2FDNFsh%2BOgu%2BnbMtnx2xcNmRFMBoq%2FJuoIIHgya4F HTTP/1.1" 200 - 164963168 164963168 8730 32 '
    '"-" "python-requests/2.7.0 CPython/2.7.9 Linux/3.14.35-28.38.amzn1.x86_64" -')

# Three of the OTel CloudTrail fixture's records, as they are there (an API call, an Insights event,
# a service event without a principal).
OTEL_CLOUDTRAIL = {"Records": [
    {"eventVersion": "1.08", "userIdentity": {
        "type": "IAMUser", "principalId": "EXAMPLE6E4XEGITWATV6R", "arn": "arn:aws:iam::123456789012:user/Mateo",
        "accountId": "123456789012", "accessKeyId": "AKIAIOSFODNN7EXAMPLE", "userName": "Mateo",
        "sessionContext": {"sessionIssuer": {}, "webIdFederationData": {},
                           "attributes": {"creationDate": "2023-07-19T21:11:57Z", "mfaAuthenticated": "false"}}},
     "eventTime": "2023-07-19T21:17:28Z", "eventSource": "ec2.amazonaws.com", "eventName": "StartInstances",
     "awsRegion": "us-east-1", "sourceIPAddress": "192.0.2.0", "userAgent": "aws-cli/2.13.5 Python/3.11.4",
     "requestParameters": {"instancesSet": {"items": [{"instanceId": "i-EXAMPLE56126103cb"},
                                                      {"instanceId": "i-EXAMPLEaff4840c22"}]}},
     "responseElements": {"requestId": "e4336db0-149f-4a6b-844d-EXAMPLEb9d16"},
     "requestID": "e4336db0-149f-4a6b-844d-EXAMPLEb9d16", "eventID": "e755e09c-42f9-4c5c-9064-EXAMPLE228c7",
     "readOnly": False, "eventType": "AwsApiCall", "apiVersion": "v1", "managementEvent": True,
     "recipientAccountId": "123456789012", "eventCategory": "Management",
     "tlsDetails": {"tlsVersion": "TLSv1.2", "cipherSuite": "ECDHE-RSA-AES128-GCM-SHA256",
                    "clientProvidedHostHeader": "ec2.us-east-1.amazonaws.com"}},
    {"eventVersion": "1.08", "eventTime": "2023-01-02T02:51:00Z", "awsRegion": "us-east-1",
     "eventID": "654a30ff-b0f3-4527-81b6-EXAMPLEf2393", "eventType": "AwsCloudTrailInsight",
     "recipientAccountId": "123456789012", "insightDetails": {"state": "Start"}, "eventCategory": "Insight"},
    {"eventVersion": "1.08", "userIdentity": {"accountId": "111122223333", "invokedBy": "AWS Internal"},
     "eventTime": "2021-01-14T01:41:59Z", "eventSource": "kms.amazonaws.com", "eventName": "RotateKey",
     "awsRegion": "us-west-2", "sourceIPAddress": "AWS Internal", "userAgent": "AWS Internal",
     "requestParameters": None, "responseElements": None, "eventID": "a24b3967-ddad-417f-9b22-2332b918db06",
     "readOnly": False, "eventType": "AwsServiceEvent", "recipientAccountId": "111122223333",
     "eventCategory": "Management"},
]}


def row(out, table, where="true"):
    con = duckdb.connect()
    cur = con.execute(f"SELECT * FROM '{out}/{table}/*/*.parquet' WHERE {where}")
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def test_otel_s3_access_line(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "otel.log").write_text(OTEL_S3_LINE + "\n")
    sigtrail("index", tmp_path / "in", "--out", tmp_path / "out", "-q", ok=(0,))
    [r] = row(tmp_path / "out", "s3_access")
    # Agreeing with OTel's expected values.
    assert (r["bucket_owner"], r["bucket"], r["remote_ip"], r["requester"], r["request_id"], r["operation"]) == (
        "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be", "amzn-s3-demo-bucket1", "192.0.2.3",
        "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be", "3E57427F3EXAMPLE", "REST.GET.VERSIONING")
    assert int(r["request_time"].timestamp()) == 1549411238  # timeUnixNano 1549411238000000000
    assert (r["http_method"], r["http_status"], r["bytes_sent"], r["total_time_ms"]) == ("GET", 200, 113, 7)
    assert (r["user_agent"], r["signature_version"], r["cipher_suite"], r["auth_type"]) == (
        "S3Console/0.4", "SigV4", "ECDHE-RSA-AES128-GCM-SHA256", "AuthHeader")
    assert r["host_id"] == "s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234="
    assert (r["host_header"], r["tls_version"], r["access_point_arn"], r["acl_required"]) == (
        "amzn-s3-demo-bucket1.s3.us-west-1.amazonaws.com", "TLSV1.2",
        "arn:aws:s3:us-west-1:123456789012:accesspoint/example-AP", True)
    # Where OTel is wrong: its url.path "/amzn-s3-demo-bucket1?versioning" keeps the query string in
    # the path, and its url.scheme "HTTP/1.1" is the protocol version (the scheme is not logged).
    assert (r["request_path"], r["request_query"], r["http_protocol"]) == (
        "/amzn-s3-demo-bucket1", "versioning", "HTTP/1.1")


def test_python_parser_sigv2_presigned_line(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "py.log").write_text(PY_SIGV2_LINE + "\n")
    sigtrail("index", tmp_path / "in", "--out", tmp_path / "out", "-q", ok=(0,))
    [r] = row(tmp_path / "out", "s3_access")
    # Agreeing with its expected values.
    assert (r["bucket"], r["remote_ip"], r["request_id"], r["key"], r["http_status"]) == (
        "payload", "22.22.22.22", "462724543131D25B", "FREE.zip", 200)
    assert (r["bytes_sent"], r["object_size"], r["total_time_ms"], r["turnaround_time_ms"]) == (
        164963168, 164963168, 8730, 32)
    assert r["user_agent"] == "python-requests/2.7.0 CPython/2.7.9 Linux/3.14.35-28.38.amzn1.x86_64"
    # What it does not see: the line is a SigV2 presigned URL of a temporary key, expiring at
    # 2015-08-18T06:58:25Z; its request line, which it returns whole, holds a usable signature and
    # session token, which the shards keep only as fingerprints.
    assert (r["presign_version"], r["credential_akid"], r["key_kind"]) == ("SigV2", "ASIAIVW2OAE7OBZF4REQ", "ASIA")
    assert r["expires_at"].strftime("%Y-%m-%dT%H:%M:%SZ") == "2015-08-18T06:58:25Z"
    assert "DW5c3gIGTTN3soASLzd0zHw5UJA" not in json.dumps(r, default=str)
    assert "AQoDYXdzEFEas" not in json.dumps(r, default=str)


def test_otel_cloudtrail_records(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "ct.json").write_text(json.dumps(OTEL_CLOUDTRAIL))
    s = json.loads(sigtrail("index", tmp_path / "in", "--out", tmp_path / "out", "--json", "-q", ok=(0,)).stdout)
    # The Insights event is not an API event: skipped and counted, as OTel drops it from its output.
    assert s["cloudTrail"]["recordsSkipped"] == {"insight_event": 1}
    rows = {r["event_name"]: r for r in row(tmp_path / "out", "cloudtrail")}
    start = rows["StartInstances"]
    assert (start["event_id"], start["request_id"], start["source_ip"], start["identity_type"]) == (
        "e755e09c-42f9-4c5c-9064-EXAMPLE228c7", "e4336db0-149f-4a6b-844d-EXAMPLEb9d16", "192.0.2.0", "IAMUser")
    assert (start["identity_arn"], start["access_key_id"], start["user_name"], start["mfa_authenticated"]) == (
        "arn:aws:iam::123456789012:user/Mateo", "AKIAIOSFODNN7EXAMPLE", "Mateo", False)
    assert (start["cipher_suite"], start["client_provided_host_header"]) == (
        "ECDHE-RSA-AES128-GCM-SHA256", "ec2.us-east-1.amazonaws.com")
    assert start["target_instance_ids"] == "i-EXAMPLE56126103cb,i-EXAMPLEaff4840c22"
    # Where OTel is wrong: its resource says cloud.region us-west-2 and account 111122223333 for every
    # record of the file (those of the last one); each row here keeps its own.
    assert (start["aws_region"], start["recipient_account_id"]) == ("us-east-1", "123456789012")
    rotate = rows["RotateKey"]
    assert (rotate["aws_region"], rotate["recipient_account_id"], rotate["identity_arn"], rotate["invoked_by"]) == (
        "us-west-2", "111122223333", None, "AWS Internal")
    # OTel's tls.protocol.version is "1.2"; the record says "TLSv1.2", kept as written.
    assert start["tls_version"] == "TLSv1.2"
