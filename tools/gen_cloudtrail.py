#!/usr/bin/env python3
"""Deterministic CloudTrail corpus generator, with the answers written down.

    tools/gen_cloudtrail.py --out DIR [--records 2000] [--seed 5] [--truth truth.jsonl] [--secrets secrets.txt]

Writes an `AWSLogs/` tree the way CloudTrail delivers it (gzip `{"Records":[...]}` files, one line
each) plus the other shapes users hand over: a JSON Lines export of EventBridge events, a Logstash
export whose records carry only `@timestamp`, a pretty-printed array, a digest file, an Insights
file, a CloudTrail-Digest folder, a corrupt gzip and a truncated document. Records cover presigned
S3 data events (with the fields CloudTrail logs: X-Amz-Date, X-Amz-Expires, ...), ordinary S3
calls, EC2 instance-profile and user AssumeRole with credentials, GetSessionToken,
GetFederationToken, Stop/Start/TerminateInstances, CreateAccessKey, errors, nulls, numbers
written as floats, booleans written as strings, \\u escapes with surrogate pairs, and an event
delivered twice (both deliveries are rows; readers count DISTINCT event_id).

--truth writes one JSON object per record: file, byte offset of the record and the exact row
sigtrail must produce (every column of the cloudtrail table; JSON columns as parsed JSON with
secrets already replaced by their fingerprints), or why it must not produce one. --secrets
lists every planted session token and signature.
"""
import argparse
import datetime
import gzip
import hashlib
import json
import os
import random
import shutil
import sys
import urllib.parse
import uuid

SECRET_KEYS = {"sessiontoken", "x-amz-security-token", "x-amz-signature", "signature", "secretaccesskey"}
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
ALNUM_UP = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

COLUMNS = [
    "event_time", "event_id", "event_version", "event_source", "event_name", "aws_region", "source_ip",
    "user_agent", "request_id", "event_type", "event_category", "management_event", "read_only",
    "recipient_account_id", "shared_event_id", "error_code", "error_message", "vpc_endpoint_id", "tls_version",
    "cipher_suite", "client_provided_host_header", "identity_type", "principal_id", "identity_arn",
    "identity_account_id", "access_key_id", "user_name", "invoked_by", "session_issuer_type", "session_issuer_arn",
    "session_issuer_name", "session_created_at", "mfa_authenticated", "ec2_role_delivery", "source_identity",
    "bucket", "object_key", "authentication_method", "signature_version", "bytes_in", "bytes_out",
    "presign_version", "presign_algorithm", "credential_akid", "key_kind", "signed_at", "expires_seconds",
    "expires_at", "url_age_seconds", "used_after_expiry", "signed_headers", "issued_access_key_id",
    "issued_expiration", "issued_session_token_sha256", "role_arn", "role_session_name", "assumed_role_arn",
    "instance_id", "target_instance_ids", "request_parameters", "response_elements", "additional_event_data",
    "resources", "source_file", "source_offset", "envelope_fields", "revoked_principal", "revoke_before",
    "log_validation",
]
JSON_COLUMNS = ("request_parameters", "response_elements", "additional_event_data", "resources")


def micros(dt):
    return int(dt.replace(tzinfo=datetime.timezone.utc).timestamp()) * 1_000_000


def iso(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def basic(dt):
    return dt.strftime("%Y%m%dT%H%M%SZ")


def english(dt, comma_after_year):
    hour = dt.hour % 12 or 12
    return "%s %d, %d%s %d:%02d:%02d %s" % (MONTHS[dt.month - 1], dt.day, dt.year, "," if comma_after_year else "",
                                            hour, dt.minute, dt.second, "AM" if dt.hour < 12 else "PM")


def sha(s):
    return hashlib.sha256(s.encode()).hexdigest()


def redact(value, secret=False):
    """What sigtrail must store for a JSON section: secrets replaced by their fingerprints."""
    if isinstance(value, dict):
        return {k: redact(v, k.lower() in SECRET_KEYS) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v, secret) for v in value]
    if isinstance(value, str):
        if secret:
            return "sha256:" + sha(value)
        if "X-Amz-Signature=" in value or "X-Amz-Security-Token=" in value:
            head, _, query = value.partition("?")
            parts = []
            for p in query.split("&"):
                name, eq, v = p.partition("=")
                if eq and name.lower() in SECRET_KEYS:
                    v = "sha256:" + hashlib.sha256(urllib.parse.unquote_to_bytes(v)).hexdigest()
                parts.append(name + eq + v)
            return head + "?" + "&".join(parts)
    return value


class Generator:
    def __init__(self, seed):
        self.r = random.Random(seed)
        r = self.r
        self.t = datetime.datetime(2024, 3, 1, 0, 0, 0) + datetime.timedelta(seconds=r.randrange(86400))
        self.account = "%012d" % r.randrange(10**11, 10**12)
        self.instances = ["i-%017x" % r.getrandbits(68) for _ in range(5)]
        self.roles = ["arn:aws:iam::%s:role/%s" % (self.account, n) for n in ("web-server", "batch", "admin")]
        self.users = ["alice", "bob", "deployer"]
        self.secrets = set()
        self.sessions = []  # (akid, token, role_arn, instance or None, created dt)

    def key(self, prefix):
        return prefix + "".join(self.r.choice(ALNUM_UP) for _ in range(16))

    def token(self):
        t = "IQoJb3JpZ2luX2Vj" + "".join(self.r.choice(B64) for _ in range(self.r.randrange(200, 600)))
        self.secrets.add(t)
        return t

    def base(self, name, source, category="Management"):
        r = self.r
        self.t += datetime.timedelta(seconds=r.randrange(1, 90))
        rec = {
            "eventVersion": r.choice(["1.08", "1.09", "1.10", "1.11"]),
            "eventTime": iso(self.t),
            "eventSource": source,
            "eventName": name,
            "awsRegion": r.choice(["us-east-1", "eu-west-1"]),
            "sourceIPAddress": r.choice(["198.51.100.%d" % r.randrange(1, 255), "2001:db8::%x" % r.randrange(65536),
                                         "ec2.amazonaws.com"]),
            "userAgent": r.choice(["aws-cli/2.15.30 Python/3.11.8", "Boto3/1.34.69", "console.amazonaws.com"]),
            "requestID": str(uuid.UUID(int=r.getrandbits(128))),
            "eventID": str(uuid.UUID(int=r.getrandbits(128))),
            "readOnly": r.random() < 0.5,
            "eventType": "AwsApiCall",
            "managementEvent": category == "Management",
            "recipientAccountId": self.account,
            "eventCategory": category,
        }
        if r.random() < 0.3:
            rec["tlsDetails"] = {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256",
                                 "clientProvidedHostHeader": "%s.amazonaws.com" % source.split(".")[0]}
        return rec

    def iam_user(self):
        u = self.r.choice(self.users)
        return {"type": "IAMUser", "principalId": self.key("AIDA"), "arn": "arn:aws:iam::%s:user/%s" % (self.account, u),
                "accountId": self.account, "accessKeyId": self.key("AKIA"), "userName": u}

    def session_identity(self):
        if not self.sessions or self.r.random() < 0.2:
            return self.iam_user()
        akid, _, role, instance, created = self.r.choice(self.sessions)
        name = instance or "session-%d" % self.r.randrange(100)
        ident = {
            "type": "AssumedRole", "principalId": "AROA%s:%s" % ("X" * 17, name),
            "arn": "arn:aws:sts::%s:assumed-role/%s/%s" % (self.account, role.split("/")[-1], name),
            "accountId": self.account, "accessKeyId": akid,
            "sessionContext": {
                "sessionIssuer": {"type": "Role", "principalId": "AROA" + "X" * 17, "arn": role,
                                  "accountId": self.account, "userName": role.split("/")[-1]},
                "webIdFederationData": {},
                "attributes": {"creationDate": iso(created) if self.r.random() < 0.8 else basic(created),
                               "mfaAuthenticated": "false"},
            },
        }
        if instance:
            ident["sessionContext"]["ec2RoleDelivery"] = self.r.choice(["1.0", "2.0"])
        return ident

    # -- record kinds: each returns (record, expected-row updates) -------------------------

    def assume_role_instance(self):
        rec = self.base("AssumeRole", "sts.amazonaws.com")
        instance = self.r.choice(self.instances)
        role = self.roles[0]
        akid, tok = self.key("ASIA"), self.token()
        expiration = self.t + datetime.timedelta(hours=6, minutes=self.r.randrange(30))
        rec.update(userIdentity={"type": "AWSService", "invokedBy": "ec2.amazonaws.com"},
                   sourceIPAddress="ec2.amazonaws.com", userAgent="ec2.amazonaws.com",
                   requestParameters={"roleArn": role, "roleSessionName": instance},
                   responseElements={"credentials": {"accessKeyId": akid, "sessionToken": tok,
                                                     "expiration": english(expiration, True)}},
                   sharedEventID=str(uuid.UUID(int=self.r.getrandbits(128))))
        self.sessions.append((akid, tok, role, instance, self.t))
        return rec, {"issued_access_key_id": akid, "issued_expiration": micros(expiration),
                     "issued_session_token_sha256": sha(tok), "role_arn": role, "role_session_name": instance,
                     "instance_id": instance}

    def assume_role_user(self):
        rec = self.base("AssumeRole", "sts.amazonaws.com")
        role = self.r.choice(self.roles[1:])
        name = "session-%d" % self.r.randrange(100)
        akid, tok = self.key("ASIA"), self.token()
        expiration = self.t + datetime.timedelta(seconds=self.r.choice([900, 3600, 43200]))
        assumed = "arn:aws:sts::%s:assumed-role/%s/%s" % (self.account, role.split("/")[-1], name)
        rec.update(userIdentity=self.iam_user(),
                   requestParameters={"roleArn": role, "roleSessionName": name, "durationSeconds": 3600},
                   responseElements={"credentials": {"accessKeyId": akid, "sessionToken": tok,
                                                     "expiration": english(expiration, False)},
                                     "assumedRoleUser": {"assumedRoleId": "AROA%s:%s" % ("Y" * 17, name),
                                                         "arn": assumed}})
        self.sessions.append((akid, tok, role, None, self.t))
        return rec, {"issued_access_key_id": akid, "issued_expiration": micros(expiration),
                     "issued_session_token_sha256": sha(tok), "role_arn": role, "role_session_name": name,
                     "assumed_role_arn": assumed}

    def session_token(self):
        name = self.r.choice(["GetSessionToken", "GetFederationToken"])
        rec = self.base(name, "sts.amazonaws.com")
        akid, tok = self.key("ASIA"), self.token()
        expiration = self.t + datetime.timedelta(hours=12)
        resp = {"credentials": {"accessKeyId": akid, "sessionToken": tok, "expiration": english(expiration, True)}}
        exp = {"issued_access_key_id": akid, "issued_expiration": micros(expiration),
               "issued_session_token_sha256": sha(tok)}
        if name == "GetFederationToken":
            fed = "arn:aws:sts::%s:federated-user/fed%d" % (self.account, self.r.randrange(10))
            resp["federatedUser"] = {"federatedUserId": "%s:fed" % self.account, "arn": fed}
            resp["packedPolicySize"] = 7
            exp["assumed_role_arn"] = fed
        rec.update(userIdentity=self.iam_user(), requestParameters={"durationSeconds": 43200},
                   responseElements=resp)
        return rec, exp

    def instance_state(self):
        name = self.r.choice(["TerminateInstances", "StopInstances", "StartInstances"])
        rec = self.base(name, "ec2.amazonaws.com")
        ids = self.r.sample(self.instances, self.r.randrange(1, 3))
        rec.update(userIdentity=self.session_identity(),
                   requestParameters={"instancesSet": {"items": [{"instanceId": i} for i in ids]}, "force": False},
                   responseElements={"requestId": rec["requestID"], "instancesSet": {"items": [
                       {"instanceId": i, "currentState": {"code": 32, "name": "shutting-down"},
                        "previousState": {"code": 16, "name": "running"}} for i in ids]}})
        return rec, {"target_instance_ids": ",".join(ids)}

    def create_access_key(self):
        rec = self.base("CreateAccessKey", "iam.amazonaws.com")
        akid = self.key("AKIA")
        rec.update(userIdentity=self.iam_user(), requestParameters={"userName": "backdoor"},
                   responseElements={"accessKey": {"accessKeyId": akid, "status": "Active", "userName": "backdoor",
                                                   "createDate": english(self.t, False)}})
        return rec, {"issued_access_key_id": akid}

    def s3_event(self, presigned):
        r = self.r
        name = r.choice(["GetObject", "PutObject"])
        rec = self.base(name, "s3.amazonaws.com", category="Data")
        bucket = "acme-%d" % r.randrange(3)
        key = r.choice(["reports/q1.pdf", "caf\u00e9/r\u00e9sum\u00e9.txt", "emoji/\U0001F600.png", 'quote"d.txt'])
        params = {"bucketName": bucket, "key": key, "Host": "%s.s3.amazonaws.com" % bucket}
        ident = self.session_identity()
        exp = {"bucket": bucket, "object_key": key}
        add = {"SignatureVersion": "SigV4", "CipherSuite": "TLS_AES_128_GCM_SHA256",
               "bytesTransferredIn": r.choice([0, 0.0, 1462.0, 21838]), "bytesTransferredOut": r.choice([0, 7759, 89.0]),
               "x-amz-id-2": "".join(r.choice(B64) for _ in range(40))}
        exp.update(bytes_in=int(add["bytesTransferredIn"]), bytes_out=int(add["bytesTransferredOut"]),
                   signature_version="SigV4")
        if presigned:
            signed = self.t - datetime.timedelta(seconds=r.choice([3, 600, 3600 * 7]))
            expires = r.choice([60, 300, 3600, 604800])
            params.update({"X-Amz-Date": basic(signed), "X-Amz-Expires": str(expires),
                           "X-Amz-Algorithm": "AWS4-HMAC-SHA256", "X-Amz-SignedHeaders": "host",
                           "response-content-disposition": "attachment"})
            akid = ident["accessKeyId"]
            if r.random() < 0.3:
                akid = self.key("ASIA")
                params["X-Amz-Credential"] = "%s/%s/us-east-1/s3/aws4_request" % (akid, signed.strftime("%Y%m%d"))
            if r.random() < 0.3:
                sig = "".join(r.choice("0123456789abcdef") for _ in range(64))
                self.secrets.add(sig)
                params["X-Amz-Signature"] = sig
                tok = self.token()
                params["X-Amz-Security-Token"] = tok
            add["AuthenticationMethod"] = "QueryString"
            at = micros(self.t)
            exp.update(presign_version="SigV4", presign_algorithm="AWS4-HMAC-SHA256", credential_akid=akid,
                       key_kind=akid[:4] if akid[:4] in ("AKIA", "ASIA") else "other", signed_at=micros(signed),
                       expires_seconds=expires, expires_at=micros(signed) + expires * 1_000_000,
                       url_age_seconds=(at - micros(signed)) // 1_000_000,
                       used_after_expiry=at > micros(signed) + expires * 1_000_000, signed_headers="host")
        else:
            add["AuthenticationMethod"] = "AuthHeader"
            if r.random() < 0.2:
                sig = "".join(r.choice("0123456789abcdef") for _ in range(64))
                self.secrets.add(sig)
                params["redirect"] = "https://x.example/p?a=1&X-Amz-Signature=%s&b=2" % sig
        exp["authentication_method"] = add["AuthenticationMethod"]
        rec.update(userIdentity=ident, requestParameters=params, responseElements=None, additionalEventData=add,
                   resources=[{"type": "AWS::S3::Object", "ARN": "arn:aws:s3:::%s/%s" % (bucket, key)},
                              {"accountId": self.account, "type": "AWS::S3::Bucket",
                               "ARN": "arn:aws:s3:::%s" % bucket}])
        return rec, exp

    def noise(self):
        r = self.r
        rec = self.base(r.choice(["DescribeInstances", "ListRoles", "GetCallerIdentity", "ConsoleLogin"]),
                        r.choice(["ec2.amazonaws.com", "iam.amazonaws.com", "sts.amazonaws.com"]))
        rec.update(userIdentity=self.session_identity(), requestParameters=None, responseElements=None)
        exp = {}
        if r.random() < 0.2:
            rec["errorCode"] = "AccessDenied"
            rec["errorMessage"] = "User: %s is not authorized to perform: %s \u2014 \u00e9" % (
                rec["userIdentity"].get("arn"), rec["eventName"])
        if r.random() < 0.1:
            rec["vpcEndpointId"] = "vpce-%x" % r.getrandbits(32)
        if r.random() < 0.1:
            rec["responseElements"] = {"credentials": "HIDDEN_DUE_TO_SECURITY_REASONS"}  # polymorphic
        if r.random() < 0.1:
            rec["userIdentity"]["sessionContext"] = {"attributes": {"mfaAuthenticated": "true",
                                                                    "creationDate": iso(self.t)},
                                                     "sourceIdentity": "alice@example.com"}
        return rec, exp

    def record(self):
        r = self.r
        kind = r.choices(["s3p", "s3", "ar_i", "ar_u", "tok", "state", "cak", "noise"],
                         weights=[25, 15, 8, 6, 4, 6, 2, 34])[0]
        return {"s3p": lambda: self.s3_event(True), "s3": lambda: self.s3_event(False),
                "ar_i": self.assume_role_instance, "ar_u": self.assume_role_user, "tok": self.session_token,
                "state": self.instance_state, "cak": self.create_access_key, "noise": self.noise}[kind]()


def expected_row(rec, updates):
    """Every column for a record, from the record's own fields plus the kind-specific values."""
    ident = rec.get("userIdentity") or {}
    ctx = ident.get("sessionContext") or {}
    attrs = ctx.get("attributes") or {}
    issuer = ctx.get("sessionIssuer") or {}
    tls = rec.get("tlsDetails") or {}
    row = {c: None for c in COLUMNS}

    def t(s):
        if s is None:
            return None
        for fmt in ("%Y-%m-%dT%H:%M:%SZ", "%Y%m%dT%H%M%SZ"):
            try:
                return micros(datetime.datetime.strptime(s, fmt))
            except ValueError:
                pass
        raise ValueError(s)

    def b(v):
        return {"true": True, "false": False}.get(v, v) if isinstance(v, str) else v

    event_time = rec.get("eventTime") or rec.get("@timestamp")
    row.update(
        event_time=micros(datetime.datetime.strptime(event_time[:19], "%Y-%m-%dT%H:%M:%S")),
        event_id=rec.get("eventID"), event_version=rec.get("eventVersion"), event_source=rec.get("eventSource"),
        event_name=rec.get("eventName"), aws_region=rec.get("awsRegion"), source_ip=rec.get("sourceIPAddress"),
        user_agent=rec.get("userAgent"), request_id=rec.get("requestID"), event_type=rec.get("eventType"),
        event_category=rec.get("eventCategory"), management_event=rec.get("managementEvent"),
        read_only=rec.get("readOnly"), recipient_account_id=rec.get("recipientAccountId"),
        shared_event_id=rec.get("sharedEventID"), error_code=rec.get("errorCode"),
        error_message=rec.get("errorMessage"), vpc_endpoint_id=rec.get("vpcEndpointId"),
        tls_version=tls.get("tlsVersion"), cipher_suite=tls.get("cipherSuite"),
        client_provided_host_header=tls.get("clientProvidedHostHeader"),
        identity_type=ident.get("type"), principal_id=ident.get("principalId"), identity_arn=ident.get("arn"),
        identity_account_id=ident.get("accountId"), access_key_id=ident.get("accessKeyId"),
        user_name=ident.get("userName"), invoked_by=ident.get("invokedBy"),
        session_issuer_type=issuer.get("type"), session_issuer_arn=issuer.get("arn"),
        session_issuer_name=issuer.get("userName"), session_created_at=t(attrs.get("creationDate")),
        mfa_authenticated=b(attrs.get("mfaAuthenticated")), ec2_role_delivery=ctx.get("ec2RoleDelivery"),
        source_identity=ctx.get("sourceIdentity"))
    principal = ident.get("principalId") or ""
    if ":i-" in principal:
        row["instance_id"] = principal.split(":", 1)[1]
    for c in JSON_COLUMNS:
        key = {"request_parameters": "requestParameters", "response_elements": "responseElements",
               "additional_event_data": "additionalEventData", "resources": "resources"}[c]
        v = rec.get(key)
        row[c] = None if v is None else redact(v)
    row.update(updates)
    return row


def dump(rec, ascii_only):
    return json.dumps(rec, ensure_ascii=ascii_only, separators=(",", ":"))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--records", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--per-file", type=int, default=150)
    ap.add_argument("--truth")
    ap.add_argument("--secrets")
    ap.add_argument("--archives-only", action="store_true",
                    help="every file a gzip {\"Records\":[...]} archive, as CloudTrail delivers (benchmarks)")
    ap.add_argument("--no-damage", action="store_true",
                    help="leave out the truncated, corrupt, duplicate, digest and Insights files")
    args = ap.parse_args()

    g = Generator(args.seed)
    if os.path.isdir(args.out):
        shutil.rmtree(args.out)
    os.makedirs(args.out)
    truth = []
    records = [g.record() for _ in range(args.records)]
    # One event delivered twice: it reappears in a later file.
    duplicate = next(i for i, (rec, _) in enumerate(records) if rec["eventSource"] == "s3.amazonaws.com")
    trail = "AWSLogs/%s/CloudTrail/us-east-1" % g.account

    def add_truth(rel, offset, rec, updates):
        if args.truth:
            truth.append({"file": rel, "offset": offset, "row": dict(expected_row(rec, updates), source_offset=offset)})

    def write(rel, data, compress):
        path = os.path.join(args.out, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(gzip.compress(data, mtime=0) if compress else data)

    delivered = []  # (key, SHA-256 of the uncompressed content) of each delivered archive
    chunks = [records[i:i + args.per_file] for i in range(0, len(records), args.per_file)]
    shapes = ["records"] * len(chunks)
    if len(chunks) >= 4 and not args.archives_only:
        shapes[1], shapes[2], shapes[3] = "eventbridge", "logstash", "array"
    for n, (chunk, shape) in enumerate(zip(chunks, shapes)):
        day = datetime.datetime.strptime(chunk[0][0]["eventTime"], "%Y-%m-%dT%H:%M:%SZ")
        name = "%s_CloudTrail_us-east-1_%sZ_%016X" % (g.account, day.strftime("%Y%m%dT%H%M"), n)
        ascii_only = n % 2 == 0
        if shape == "records":
            rel = "%s/%s/%s.json.gz" % (trail, day.strftime("%Y/%m/%d"), name)
            parts, offsets, pos = [], [], len('{"Records":[')
            for rec, _ in chunk:
                text = dump(rec, ascii_only)
                offsets.append(pos)
                parts.append(text)
                pos += len(text.encode()) + 1
            data = ('{"Records":[' + ",".join(parts) + "]}").encode()
        elif shape == "eventbridge":
            rel = "exports/eventbridge-%d.jsonl" % n
            lines, offsets, pos = [], [], 0
            enveloped = []
            for k, (rec, updates) in enumerate(chunk):
                account, region = rec.get("recipientAccountId", g.account), rec.get("awsRegion", "us-east-1")
                prefix = '{"version":"0","id":"%s","detail-type":"AWS API Call via CloudTrail","source":"aws.%s",' \
                         '"account":"%s","time":"%s","region":"%s","resources":[],"detail":' % (
                             uuid.UUID(int=g.r.getrandbits(128)), rec["eventSource"].split(".")[0], account,
                             rec["eventTime"], region)
                # Every third detail lacks its time, region and account: the envelope's stand in (as
                # they do for any detail that lacks one of them).
                detail = rec
                if k % 3 == 1:
                    detail = {f: v for f, v in rec.items() if f not in ("eventTime", "awsRegion", "recipientAccountId")}
                taken = [n for n, f in (("time", "eventTime"), ("region", "awsRegion"),
                                        ("account", "recipientAccountId")) if f not in detail]
                if taken:
                    updates = dict(updates, envelope_fields=",".join(taken))
                    if "region" in taken:
                        updates["aws_region"] = region
                    if "account" in taken:
                        updates["recipient_account_id"] = account
                enveloped.append((rec, updates))
                text = dump(detail, ascii_only)
                offsets.append(pos + len(prefix.encode()))
                line = prefix + text + "}"
                lines.append(line)
                pos += len(line.encode()) + 1
            data = ("\n".join(lines) + "\n").encode()
            chunk = enveloped
        elif shape == "logstash":
            rel = "exports/logstash-%d.ndjson" % n
            lines, offsets, pos = [], [], 0
            for rec, _ in chunk:
                rec = dict(rec)
                rec["@timestamp"] = rec.pop("eventTime")[:19] + ".000Z"
                rec["@version"] = "1"
                text = dump(rec, ascii_only)
                offsets.append(pos)
                lines.append(text)
                pos += len(text.encode()) + 1
            chunk = [(json.loads(l), u) for l, (_, u) in zip(lines, chunk)]
            data = ("\n".join(lines) + "\n").encode()
        else:
            rel = "exports/detonation-%d.json" % n
            text = json.dumps([rec for rec, _ in chunk], indent=3, sort_keys=True, ensure_ascii=ascii_only)
            data = text.encode()
            # Offsets of each element: find each record's opening brace at indentation 3.
            offsets = []
            pos = 0
            for _ in chunk:
                pos = data.index(b"\n   {", pos) + 4
                offsets.append(pos)
            chunk = [(json.loads(json.dumps(rec, sort_keys=True)), u) for rec, u in chunk]
        write(rel, data, compress=shape == "records")
        if shape == "records":
            delivered.append((rel, hashlib.sha256(data).hexdigest()))
        for (rec, updates), offset in zip(chunk, offsets):
            add_truth(rel, offset, rec, updates)

    # A digest naming every delivered archive with the SHA-256 of its uncompressed content, as
    # CloudTrail writes them: their rows read 'hash verified'; every other file 'no digest'.
    digest_key = "AWSLogs/%s/CloudTrail-Digest/us-east-1/2024/03/01/digest.json.gz" % g.account
    digest = {"awsAccountId": g.account, "digestStartTime": "2024-03-01T00:00:00Z",
              "digestEndTime": "2024-03-01T01:00:00Z", "digestS3Bucket": "trail-bucket", "digestS3Object": digest_key,
              "digestSignatureAlgorithm": "SHA256withRSA", "previousDigestS3Bucket": None,
              "previousDigestS3Object": None, "previousDigestHashValue": None, "previousDigestSignature": None,
              "logFiles": [{"s3Bucket": "trail-bucket", "s3Object": key, "hashValue": sha, "hashAlgorithm": "SHA-256"}
                           for key, sha in delivered]}
    write(digest_key, json.dumps(digest).encode(), compress=True)
    verified = {key for key, _ in delivered}

    def label_truth():
        for entry in truth:
            if "row" in entry:
                entry["row"]["log_validation"] = ("hash verified (digest signature not checked)"
                                                  if entry["file"] in verified else "no digest")

    if args.no_damage:
        label_truth()
        finish(args, truth, g)
        return
    # A second delivery of an event: kept as its own row (readers count DISTINCT event_id).
    rec, updates = records[duplicate]
    text = dump(rec, True)
    rel = "%s/9999/12/31/late-delivery.json.gz" % trail
    write(rel, ('{"Records":[' + text + "]}").encode(), compress=True)
    add_truth(rel, len('{"Records":['), rec, updates)

    # A truncated document: the records before the cut are rows, the cut one is a rejection.
    rec_a, upd_a = g.noise()
    rec_b, _ = g.noise()
    a, bb = dump(rec_a, True), dump(rec_b, True)
    data = ('{"Records":[' + a + "," + bb).encode()
    data = data[:len(data) - len(bb) // 2]
    rel = "%s/2024/03/01/truncated.json" % trail
    write(rel, data, compress=False)
    add_truth(rel, len('{"Records":['), rec_a, upd_a)
    if args.truth:
        truth.append({"file": rel, "offset": len('{"Records":[') + len(a) + 1, "reject": "malformed_json"})

    # Not events: a digest with a misleading path (the real one is written above), Insights.
    write("%s/2024/03/01/misplaced-digest.json.gz" % trail, json.dumps(digest).encode(), compress=True)
    insight = {"Records": [{"eventVersion": "1.07", "eventTime": "2024-03-01T00:00:00Z", "eventType":
                            "AwsCloudTrailInsight", "eventID": "x", "insightDetails": {"state": "Start"}}]}
    write("%s/2024/03/01/insights.json.gz" % trail, json.dumps(insight).encode(), compress=True)
    # A corrupt archive: reported as a problem, the run goes on.
    good = gzip.compress(b'{"Records":[' + dump(g.noise()[0], True).encode() * 50 + b"]}", mtime=0)
    bad = bytearray(good)
    for i in range(len(bad) // 2, len(bad) // 2 + 32):
        bad[i] ^= 0x5A
    write("%s/2024/03/01/corrupt.json.gz" % trail, bytes(bad), compress=False)
    label_truth()
    finish(args, truth, g)


def finish(args, truth, g):
    if args.truth:
        with open(args.truth, "w") as f:
            for entry in truth:
                f.write(json.dumps(entry) + "\n")
    if args.secrets:
        with open(args.secrets, "w") as f:
            for s in sorted(g.secrets):
                f.write(s + "\n")
    print(json.dumps({"records": len(truth), "secrets": len(g.secrets)}), file=sys.stderr)


if __name__ == "__main__":
    main()
