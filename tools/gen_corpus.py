#!/usr/bin/env python3
"""Deterministic S3 server access log corpus generator, with the answers written down.

    tools/gen_corpus.py --out DIR [--mb 5] [--seed 7] [--truth truth.jsonl] [--secrets secrets.txt]

Writes rotated log files under DIR (plain, some gzip, one zstd when the `zstd` tool exists),
shaped like real S3 deliveries and covering every quirk sigtrail must handle: all field-count eras
(17, 18, 24, 25, 26, 27 fields and an unknown 28th), SigV4 presigned URLs with and without
session tokens, SigV2 presigned URLs, AuthHeader, anonymous and website requests, BATCH.DELETE and
lifecycle lines, 4-part operations with UUID request ids, a CloudFront OAI requester with spaces,
two-token Host Ids, IPv6 and '-' remote IPs, raw quotes in URIs, Referers and User-Agents,
URL-encoded keys, 64-bit sizes, non-ASCII and invalid UTF-8 bytes, and a few broken lines.

--truth writes one JSON object per line of every file: the file, the byte offset of the line, and
either the exact row sigtrail must produce (every column of the s3_access table) or the reason it
must reject the line. --secrets writes every planted session token and signature, one per line,
so a test can prove none of them reaches the output. The expected values are computed from what
the generator chose, not by parsing the lines it wrote.
"""
import argparse
import gzip
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import urllib.parse
import uuid

MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
EPOCH_DAY0 = 719163  # date(1970, 1, 1).toordinal()
ERAS = [17, 18, 24, 25, 26, 27, 27, 27, 26, 26, 28]
SECRET_PARAMS = {"x-amz-signature", "signature", "x-amz-security-token"}

USER_AGENTS = [
    "aws-cli/2.15.30 Python/3.11.8 Linux/6.1.0 exe/x86_64.debian.12 prompt/off command/s3.cp",
    "Boto3/1.34.69 md/Botocore#1.34.69 ua/2.0 os/linux#6.1.0 md/arch#x86_64 lang/python#3.11.8",
    "aws-sdk-java/1.12.681 Linux/5.10.213-201.855.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/17.0.10+7-LTS java/17.0.10",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36",
    "curl/8.5.0",
    "S3Console/0.4, aws-internal/3 aws-sdk-java/1.12.488 Linux/5.10.215-181.850.amzn2int.x86_64",
    "python-requests/2.31.0",
    "Hadoop 3.4.0-SNAPSHOT, java/1.8.0_282 vendor/AdoptOpenJDK",
]
CIPHERS = ["ECDHE-RSA-AES128-GCM-SHA256", "TLS_AES_128_GCM_SHA256", "ECDHE-RSA-AES128-SHA"]
REGIONS = ["us-east-1", "us-west-2", "eu-west-1", "ap-southeast-2"]
B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
ALNUM_UP = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
HEX = "0123456789abcdef"


def sha256_hex(s):
    return hashlib.sha256(s.encode("latin-1") if isinstance(s, str) else s).hexdigest()


def enc(s, safe=""):
    return urllib.parse.quote(s, safe=safe)


def fmt_time(micros, offset_minutes=0):
    """[dd/Mon/yyyy:HH:MM:SS +hhmm] of a UTC instant, written in the given offset."""
    secs = micros // 1_000_000 + offset_minutes * 60
    days, rem = divmod(secs, 86400)
    import datetime

    d = datetime.date.fromordinal(EPOCH_DAY0 + days)
    sign = "+" if offset_minutes >= 0 else "-"
    om = abs(offset_minutes)
    return "[%02d/%s/%04d:%02d:%02d:%02d %s%02d%02d]" % (
        d.day, MONTHS[d.month - 1], d.year, rem // 3600, rem % 3600 // 60, rem % 60, sign, om // 60, om % 60)


def day_string(days):
    import datetime

    return datetime.date.fromordinal(EPOCH_DAY0 + days).isoformat()


def amz_date(micros):
    import datetime

    t = datetime.datetime.fromtimestamp(micros // 1_000_000, datetime.timezone.utc)
    return t.strftime("%Y%m%dT%H%M%SZ")


def sanitize(raw):
    """Expected STRING value of raw log bytes: per-byte U+FFFD for bytes outside valid UTF-8."""
    out = []
    i = 0
    while i < len(raw):
        for n in (1, 2, 3, 4):
            chunk = raw[i:i + n]
            try:
                ch = chunk.decode("utf-8")
                if len(ch) == 1:
                    out.append(ch)
                    i += n
                    break
            except UnicodeDecodeError:
                continue
        else:
            out.append("\ufffd")
            i += 1
    return "".join(out)


class Params:
    """A query string kept both as written to the log and as sigtrail must store it."""

    def __init__(self):
        self.items = []  # (name, raw_value_as_logged)

    def add(self, name, value):
        self.items.append((name, value))

    def raw(self):
        return "&".join("%s=%s" % kv for kv in self.items)

    def redacted(self):
        parts = []
        for name, value in self.items:
            if name.lower() in SECRET_PARAMS:
                value = "sha256:" + sha256_hex(urllib.parse.unquote_to_bytes(value))
            parts.append("%s=%s" % (name, value))
        return "&".join(parts)


# What share of lines each kind of request takes. "presign-heavy" is a bucket under attack, the
# shape of the performance issue's corpus: about 22% of lines presigned SigV4 URLs, most with a
# session token of 700-1,000 bytes, and 3% SigV2.
PROFILES = {
    "default": {"weights": [30, 14, 6, 5, 10, 4, 4, 3, 2, 2, 3, 2], "token": (300, 900)},
    "presign-heavy": {"weights": [30, 10, 1, 2, 10, 4, 4, 3, 2, 2, 3, 2], "token": (680, 980)},
}


class Generator:
    def __init__(self, seed, profile="default"):
        self.r = random.Random(seed)
        self.weights = PROFILES[profile]["weights"]
        low, high = PROFILES[profile]["token"]
        r = self.r
        self.now = 1_700_000_000_000_000 + r.randrange(0, 86400) * 1_000_000
        self.owners = ["".join(r.choice(HEX) for _ in range(64)) for _ in range(3)]
        self.buckets = ["acme-data-%d" % i for i in range(4)] + ["media.example.org"]
        self.accounts = ["%012d" % r.randrange(10**11, 10**12) for _ in range(3)]
        self.users = ["alice", "bob.smith@example.com", "ci-deployer"]
        self.roles = ["app-server-role", "batch-worker", "AWSReservedSSO_Admin_abc123"]
        self.akia = ["AKIA" + "".join(r.choice(ALNUM_UP) for _ in range(16)) for _ in range(4)]
        self.asia = ["ASIA" + "".join(r.choice(ALNUM_UP) for _ in range(16)) for _ in range(6)]
        self.tokens = ["IQoJb3JpZ2luX2VjE" + "".join(r.choice(B64) for _ in range(r.randrange(low, high)))
                       for _ in range(6)]
        self.secrets = set()
        self.planted = {"tokens": 0, "signatures": 0}

    # -- field choices -------------------------------------------------------------------

    def ip(self):
        r = self.r
        x = r.random()
        if x < 0.05:
            return "2001:db8:%x:%x::%x" % (r.randrange(65536), r.randrange(65536), r.randrange(65536))
        return "%d.%d.%d.%d" % (r.choice([3, 18, 52, 54, 100, 198]), r.randrange(256), r.randrange(256),
                                r.randrange(1, 255))

    def request_id(self):
        return "".join(self.r.choice(ALNUM_UP) for _ in range(16))

    def host_id(self):
        return "".join(self.r.choice(B64) for _ in range(76)) + "="

    def object_key(self):
        r = self.r
        x = r.random()
        if x < 0.15:
            name = "reports/Q%d summary %d.pdf" % (r.randrange(1, 5), r.randrange(1000))
        elif x < 0.22:
            name = "uploads/caf\u00e9/na\u00efve=%d%%.txt" % r.randrange(100)
        elif x < 0.26:
            name = 'odd/"quoted" name.bin'
        else:
            name = "data/%04d/%02d/%s.%s" % (r.randrange(2019, 2026), r.randrange(1, 13),
                                              uuid.UUID(int=r.getrandbits(128)).hex[:12],
                                              r.choice(["json", "csv.gz", "parquet", "png"]))
        return name

    def iam_user(self):
        return "arn:aws:iam::%s:user/%s" % (self.r.choice(self.accounts), self.r.choice(self.users))

    def role_session(self):
        r = self.r
        return "arn:aws:sts::%s:assumed-role/%s/i-%017x" % (r.choice(self.accounts), r.choice(self.roles),
                                                          r.getrandbits(68))

    def signature_v4(self):
        if self.r.random() < 0.08:
            return "X" * 32  # AWS masks some signatures this way in real logs
        sig = "".join(self.r.choice(HEX) for _ in range(64))
        self.secrets.add(sig)
        self.planted["signatures"] += 1
        return sig

    def signature_v2(self):
        raw = "".join(self.r.choice(B64) for _ in range(27)) + "="
        self.secrets.add(raw)
        self.planted["signatures"] += 1
        return raw

    # -- one record --------------------------------------------------------------------------

    def record(self, t):
        """Returns (line_bytes, expected_row_or_None, reject_reason_or_None)."""
        r = self.r
        kind = r.choices(
            ["auth", "presign4_token", "presign4_key", "presign2", "anon", "website", "batch_delete",
             "lifecycle", "checksum", "oai", "scanner", "broken"],
            weights=self.weights)[0]
        if kind == "broken":
            return self.broken(t)
        era = r.choice(ERAS)
        bucket = r.choice(self.buckets)
        key = self.object_key()
        row = {c: None for c in COLUMNS}
        offset_minutes = -300 if r.random() < 0.01 else 0
        remote_ip = self.ip()
        requester = self.iam_user()
        operation = "REST.GET.OBJECT"
        method = "GET"
        params = Params()
        status = r.choice([200, 200, 200, 206, 304, 403, 404])
        error = {403: "AccessDenied", 404: "NoSuchKey"}.get(status)
        bytes_sent = r.randrange(1, 5_000_000) if status in (200, 206) else r.randrange(200, 400)
        object_size = r.choice([r.randrange(1, 10**7), 422868123111, 10679416372])
        total = r.randrange(1, 5000)
        turn = r.randrange(1, total + 1)
        referer = None
        ua = r.choice(USER_AGENTS).encode()
        sigv, auth = "SigV4", "AuthHeader"
        host = "%s.s3.%s.amazonaws.com" % (bucket, r.choice(REGIONS))
        uri_key = enc(key, safe="/")
        log_key = enc(enc(key, safe="/"), safe="/")  # REST lines double-encode the Key field
        version_id = None
        request_id = self.request_id()
        uri = None
        path_style = r.random() < 0.3
        path = ("/%s/%s" % (bucket, uri_key)) if path_style else ("/" + uri_key)

        if kind == "auth":
            operation, method = r.choice([("REST.GET.OBJECT", "GET"), ("REST.PUT.OBJECT", "PUT"),
                                          ("REST.HEAD.OBJECT", "HEAD"), ("REST.DELETE.OBJECT", "DELETE")])
            requester = r.choice([self.iam_user(), self.role_session()])
            if r.random() < 0.2:
                version_id = "".join(r.choice(B64[:62]) for _ in range(32))
                params.add("versionId", version_id)
        elif kind in ("presign4_token", "presign4_key", "presign2"):
            self.presign(kind, t, params, row)
            requester = self.role_session() if kind == "presign4_token" else self.iam_user()
            sigv, auth = ("SigV2" if kind == "presign2" else "SigV4"), "QueryString"
            if r.random() < 0.3:
                params.add("response-content-disposition", enc("attachment; filename=\"%s\"" % key[-12:]))
            if r.random() < 0.3:
                params.add("x-id", "GetObject")
            r.shuffle(params.items)
            if r.random() < 0.1:
                operation, method = "REST.PUT.OBJECT", "PUT"
        elif kind == "anon":
            requester, sigv, auth = None, None, None
        elif kind == "website":
            requester, sigv, auth = None, None, None
            operation = "WEBSITE.GET.OBJECT"
            host = "%s.s3-website-us-east-1.amazonaws.com" % bucket
        elif kind == "oai":
            requester = "arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E%s" % "".join(
                r.choice(ALNUM_UP) for _ in range(13))
        elif kind == "checksum":
            operation = "S3.COMPUTE.OBJECT.CHECKSUM"
            request_id = str(uuid.UUID(int=r.getrandbits(128)))
            requester = "svc:batchoperations.s3.amazonaws.com"
        elif kind == "scanner":
            requester, sigv, auth = None, None, None
            # Raw quotes as S3 logs them; clients percent-encode spaces, so none appear here.
            path = r.choice(['/"', "//?s=index/\\think&content=<?php$p%20=%20\"xinba\";?>",
                             '/wp-login.php?user="admin"'])
            status, error = 404, "NoSuchKey"
            referer = 'https://evil.example/"><script>'.encode()
        if kind == "batch_delete":
            operation = "BATCH.DELETE.OBJECT"
            log_key = enc(key, safe="/").replace("%20", "+")
            status, error, bytes_sent, object_size, total, turn = 204, None, None, r.randrange(1, 10**6), None, None
            ua = None
            uri = "-"
        elif kind == "lifecycle":
            operation = "S3.EXPIRE.OBJECT"
            remote_ip, requester = "-", "AmazonS3"
            log_key = enc(key, safe="/")
            status, error, bytes_sent, total, turn = None, None, None, None, None
            ua = None
            uri = '"-"'
            sigv = auth = None
            host = None
        if uri is None:
            query_raw = params.raw()
            target = path + ("?" + query_raw if params.items else "")
            protocol = "HTTP/1.1"
            uri_text = "%s %s %s" % (method, target, protocol)
            uri = '"%s"' % uri_text
            row["request_uri"] = "%s %s%s %s" % (method, path, ("?" + params.redacted()) if params.items else "",
                                                protocol)
            row["http_method"], row["http_protocol"] = method, protocol
            q = path.find("?")
            if params.items:
                row["request_path"], row["request_query"] = path, params.redacted()
            elif q >= 0:
                row["request_path"], row["request_query"] = path[:q], path[q + 1:]
            else:
                row["request_path"] = path
        # Quirky user agents and referers.
        x = r.random()
        if ua is not None and x < 0.04:
            ua = b'"' + ua  # leading raw quote: ""Mozilla...
        elif ua is not None and x < 0.08:
            ua = ua + b'"'  # trailing raw quote: ...Safari/604.1""
        elif ua is not None and x < 0.11:
            ua = "Agent \u00dcberwachung/1.0 \u2713".encode()
        elif ua is not None and x < 0.13:
            ua = b"BadBytes/1.0 \xff\xfe (\x80 \xc0)"
        elif ua is not None and x < 0.15:
            ua = b""
        if referer is None and kind not in ("batch_delete", "lifecycle") and r.random() < 0.1:
            p = Params()
            sig = self.signature_v4()
            p.add("X-Amz-Credential", enc("%s/20240101/us-east-1/s3/aws4_request" % self.r.choice(self.akia)))
            p.add("X-Amz-Signature", sig)
            referer_raw = "https://%s.s3.amazonaws.com/page.html?%s" % (bucket, p.raw())
            referer = referer_raw.encode()
            row["referer"] = "https://%s.s3.amazonaws.com/page.html?%s" % (bucket, p.redacted())
        elif referer is not None:
            row["referer"] = sanitize(referer)

        fields = [
            r.choice(self.owners).encode(), bucket.encode(), fmt_time(t, offset_minutes).encode(),
            remote_ip.encode(), (requester or "-").encode(), request_id.encode(), operation.encode(),
            log_key.encode(), uri.encode("utf-8", "surrogateescape") if isinstance(uri, str) else uri,
            (str(status) if status is not None else "-").encode(), (error or "-").encode(),
            (str(bytes_sent) if bytes_sent is not None else "-").encode(),
            (str(object_size) if object_size is not None else "-").encode(),
            (str(total) if total is not None else "-").encode(), (str(turn) if turn is not None else "-").encode(),
            b"-" if kind in ("batch_delete",) else (b'"' + (referer if referer is not None else b"-") + b'"'),
            b"-" if ua is None else b'"' + ua + b'"',
        ]
        two_token_host = False
        if era >= 18:
            fields.append((version_id or "-").encode())
        if era >= 24:
            hid = self.host_id()
            if r.random() < 0.03 and sigv is not None:
                hid = "AIDA%s %s" % ("".join(r.choice(ALNUM_UP) for _ in range(17)), hid)
                two_token_host = True
            cipher = r.choice(CIPHERS) if kind != "website" else None
            tls = ("TLSv1.3" if cipher == "TLS_AES_128_GCM_SHA256" else "TLSv1.2") if cipher else None
            fields += [hid.encode(), (sigv or "-").encode(), (cipher or "-").encode(), (auth or "-").encode(),
                       (host or "-").encode(), (tls or "-").encode()]
            row.update(host_id=hid, signature_version=sigv, cipher_suite=cipher, auth_type=auth,
                       host_header=host, tls_version=tls)
        ap = None
        if era >= 25:
            if r.random() < 0.1:
                ap = "arn:aws:s3:us-east-1:%s:accesspoint/ap-%d" % (r.choice(self.accounts), r.randrange(9))
            fields.append((ap or "-").encode())
            row["access_point_arn"] = ap
        if era >= 26:
            acl = r.random() < 0.2
            fields.append(b"Yes" if acl else b"-")
            row["acl_required"] = acl
        if era >= 27:
            region = r.choice(REGIONS + [None])
            fields.append((region or "-").encode())
            row["source_region"] = region
        if era >= 28:
            extra = "future-%d" % r.randrange(100)
            fields.append(extra.encode())
            row["extra_fields"] = extra
        line = b" ".join(fields)

        row.update(
            request_time=t, bucket_owner=fields[0].decode(), bucket=bucket, remote_ip=None if remote_ip == "-" else remote_ip,
            requester=requester, request_id=request_id, operation=operation, key=log_key,
            http_status=status, error_code=error, bytes_sent=bytes_sent, object_size=object_size,
            total_time_ms=total, turnaround_time_ms=turn,
            user_agent=None if ua is None else sanitize(ua), version_id=version_id if era >= 18 else None,
            field_count=era)
        if uri in ("-", '"-"'):
            row.update(request_uri=None, http_method=None, request_path=None, request_query=None, http_protocol=None)
        if two_token_host:
            row["field_count"] = era
        return line, row, None

    def presign(self, kind, t, params, row):
        r = self.r
        if kind == "presign2":
            akid = r.choice(self.akia)
            expires = t // 1_000_000 + r.choice([-3600, 600, 3600, 86400 * 30, 86400 * 3650])
            sig = self.signature_v2()
            params.add("AWSAccessKeyId", akid)
            params.add("Expires", str(expires))
            params.add("Signature", enc(sig))
            row.update(presign_version="SigV2", credential_akid=akid, expires_at=expires * 1_000_000,
                       used_after_expiry=t > expires * 1_000_000, signature_sha256=sha256_hex(sig),
                       key_kind="AKIA")
            if r.random() < 0.3:
                tok = r.choice(self.tokens)
                self.secrets.add(tok)
                self.planted["tokens"] += 1
                params.add("x-amz-security-token", enc(tok))
                row["security_token_sha256"] = sha256_hex(tok)
            return
        with_token = kind == "presign4_token"
        akid = r.choice(self.asia if with_token else self.akia)
        age = r.choice([5, 60, 3600, 6 * 3600 + 120, 86400 * 2])
        signed = t - age * 1_000_000
        expires = r.choice([300, 3600, 21600, 604800])
        region = r.choice(REGIONS)
        cred_day = signed // 1_000_000 // 86400
        import datetime

        cred_date = datetime.date.fromordinal(EPOCH_DAY0 + cred_day)
        sig = self.signature_v4()
        params.add("X-Amz-Algorithm", "AWS4-HMAC-SHA256")
        params.add("X-Amz-Credential", enc("%s/%s/%s/s3/aws4_request" % (akid, cred_date.strftime("%Y%m%d"), region)))
        params.add("X-Amz-Date", amz_date(signed))
        params.add("X-Amz-Expires", str(expires))
        headers = r.choice(["host", "content-md5;content-type;host;x-amz-acl"])
        params.add("X-Amz-SignedHeaders", enc(headers))
        params.add("X-Amz-Signature", sig)
        row.update(presign_version="SigV4", presign_algorithm="AWS4-HMAC-SHA256", credential_akid=akid,
                   credential_date=cred_date.isoformat(), credential_region=region, credential_service="s3",
                   signed_at=signed, expires_seconds=expires, expires_at=signed + expires * 1_000_000,
                   url_age_seconds=age, used_after_expiry=t > signed + expires * 1_000_000,
                   signature_sha256=sha256_hex(sig), signed_headers=headers,
                   key_kind="ASIA" if with_token else "AKIA")
        if with_token:
            tok = r.choice(self.tokens)
            self.secrets.add(tok)
            self.planted["tokens"] += 1
            params.add("X-Amz-Security-Token", enc(tok))
            row["security_token_sha256"] = sha256_hex(tok)

    def plain_line(self, t, uri='"GET /data/report.csv HTTP/1.1"', status="200"):
        """A simple valid 24-field line, the raw material for the broken ones."""
        r = self.r
        return ("%s %s %s %s %s %s REST.GET.OBJECT data/report.csv %s %s - 512 512 10 9 \"-\" \"curl/8.5.0\" - %s "
                "SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader %s.s3.amazonaws.com TLSv1.2" % (
                    r.choice(self.owners), r.choice(self.buckets[:4]), fmt_time(t), self.ip(), self.iam_user(),
                    self.request_id(), uri, status, self.host_id(), self.buckets[0])).encode()

    def broken(self, t):
        """A line sigtrail must reject, with the reason it must give."""
        what = self.r.choice(["bad_time", "too_few_fields", "bad_request_uri", "bad_http_status", "spliced",
                              "empty_line", "bad_number"])
        good = self.plain_line(t)
        if what == "bad_time":
            return good.replace(b"[", b"[32/Foo/", 1), None, what
        if what == "too_few_fields":
            return good[:good.index(b' "')], None, what
        if what == "bad_request_uri":
            return good.replace(b'HTTP/1.1" 200', b'HTTP/1.1 200'), None, what  # unterminated quote
        if what == "bad_http_status":
            if self.r.random() < 0.5:
                return self.plain_line(t, uri="-", status="2x0"), None, what
            return good.replace(b'HTTP/1.1" 200', b'HTTP/1.1" 2x0'), None, what
        if what == "bad_number":
            return good.replace(b" 512 512 ", b" 512 5l2 "), None, what
        if what == "spliced":
            # A record cut inside its Requester runs into the next one (seen in real NCBI data).
            return good[:good.index(b"] ") + 14] + b" rn:aws:iam::78" + good, None, "no_request_id_after_requester"
        return b"", None, what


COLUMNS = [
    "request_time", "bucket_owner", "bucket", "remote_ip", "requester", "request_id", "operation", "key",
    "request_uri", "http_method", "request_path", "request_query", "http_protocol", "http_status", "error_code",
    "bytes_sent", "object_size", "total_time_ms", "turnaround_time_ms", "referer", "user_agent", "version_id",
    "host_id", "signature_version", "cipher_suite", "auth_type", "host_header", "tls_version", "access_point_arn",
    "acl_required", "source_region", "extra_fields", "field_count", "presign_version", "presign_algorithm",
    "credential_akid", "credential_date", "credential_region", "credential_service", "signed_at",
    "expires_seconds", "expires_at", "url_age_seconds", "used_after_expiry", "security_token_sha256",
    "signature_sha256", "signed_headers", "key_kind", "source_file", "source_offset",
]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="directory to create the corpus in (emptied first)")
    ap.add_argument("--mb", type=float, default=5.0, help="approximate corpus size in MB (default 5)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--file-kb", type=int, default=256, help="average size of one log file in KB")
    ap.add_argument("--days", type=float, default=3.0, help="time span the requests cover (default 3 days)")
    ap.add_argument("--truth", help="write the expected row or rejection of every line here (JSON Lines)")
    ap.add_argument("--secrets", help="write every planted token and signature here, one per line")
    ap.add_argument("--no-compress", action="store_true", help="write every file plain")
    ap.add_argument("--profile", choices=sorted(PROFILES), default="default",
                    help="the mix of requests: default, or presign-heavy (22%% SigV4 presigned with long tokens)")
    args = ap.parse_args()

    g = Generator(args.seed, args.profile)
    if os.path.isdir(args.out):
        shutil.rmtree(args.out)
    os.makedirs(args.out)
    truth = open(args.truth, "w") if args.truth else None
    target = int(args.mb * 1_000_000)
    written = 0
    file_index = 0
    t = g.now
    have_zstd = shutil.which("zstd") is not None
    zstd_done = False
    counts = {"lines": 0, "rows": 0, "rejects": 0, "files": 0}
    step_micros = int(args.days * 86_400_000_000 / max(1.0, target / 370))
    while written < target:
        file_index += 1
        prefix = "logs/%s" % g.r.choice(g.buckets)
        name = "%s/%s-%016X" % (prefix, day_string(t // 86_400_000_000) + "-%02d-%02d-%02d" % (
            t // 3_600_000_000 % 24, t // 60_000_000 % 60, t // 1_000_000 % 60), g.r.getrandbits(64))
        size_goal = max(2000, int(g.r.expovariate(1.0 / (args.file_kb * 1000))))
        lines = []
        size = 0
        while size < size_goal and written + size < target:
            # Deliveries overlap in time a little, so rows need sorting.
            t += g.r.randrange(0, step_micros * 2 + 1)
            jitter = g.r.randrange(-2_000_000, 2_000_000) // 1_000_000 * 1_000_000
            line, row, reason = g.record(max(0, t + jitter) // 1_000_000 * 1_000_000)
            lines.append((line, row, reason))
            size += len(line) + 1
        mode = "plain"
        if not args.no_compress:
            x = g.r.random()
            if x < 0.25:
                mode = "gzip"
            elif have_zstd and not zstd_done and x < 0.35:
                mode = "zstd"
                zstd_done = True
        path = os.path.join(args.out, name + {"plain": "", "gzip": ".gz", "zstd": ".zst"}[mode])
        os.makedirs(os.path.dirname(path), exist_ok=True)
        data = b"".join(l + b"\n" for l, _, _ in lines)
        if mode == "gzip":
            with open(path, "wb") as f:
                f.write(gzip.compress(data, mtime=0))
        elif mode == "zstd":
            plain = path[:-4]
            with open(plain, "wb") as f:
                f.write(data)
            subprocess.run(["zstd", "-q", "--rm", "-f", plain, "-o", path], check=True)
        else:
            with open(path, "wb") as f:
                f.write(data)
        rel = os.path.relpath(path, args.out)
        offset = 0
        for line, row, reason in lines:
            counts["lines"] += 1
            if truth:
                entry = {"file": rel, "offset": offset}
                if row is not None:
                    row = dict(row, source_offset=offset)
                    entry["row"] = row
                else:
                    entry["reject"] = reason
                truth.write(json.dumps(entry) + "\n")
            counts["rows" if row is not None else "rejects"] += 1
            offset += len(line) + 1
        written += len(data)
        counts["files"] += 1
    if truth:
        truth.close()
    if args.secrets:
        with open(args.secrets, "w") as f:
            for s in sorted(g.secrets):
                f.write(s + "\n")
    counts.update(bytes=written, tokens_planted=g.planted["tokens"], signatures_planted=g.planted["signatures"])
    print(json.dumps(counts), file=sys.stderr)


if __name__ == "__main__":
    main()
