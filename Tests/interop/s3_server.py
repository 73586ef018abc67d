"""A local S3 for the tests: moto's server on loopback, behind a proxy that checks every request's
SigV4 signature with botocore's signer (moto's own check refuses correct signatures on paths and
queries holding `=`, `%`, `+` or non-ASCII) and can inject the faults real S3 has: 503 SlowDown,
connections reset in the middle of a body, slow bodies, objects rewritten between listing and
reading, access denied on a prefix, and buckets in another region."""
import collections
import hashlib
import http.client
import http.server
import os
import socket
import socketserver
import subprocess
import threading
import time
import urllib.parse

import boto3
import botocore.auth
import botocore.awsrequest
import botocore.credentials
import botocore.utils

ACCESS_KEY = "AKIASIGTRAILTEST0001"
SECRET_KEY = "sigtrail/test+secret=key"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Moto:
    """moto_server on a free loopback port: open (the proxy checks signatures), or checking
    signatures itself after `auth_after` unauthenticated calls (right only for simple paths)."""

    def __init__(self, auth_after=None):
        self.port = free_port()
        env = dict(os.environ)
        if auth_after is not None:
            env["INITIAL_NO_AUTH_ACTION_COUNT"] = str(auth_after)
        self.proc = subprocess.Popen(["moto_server", "-H", "127.0.0.1", "-p", str(self.port)], env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.url = f"http://127.0.0.1:{self.port}"
        for _ in range(200):
            try:
                http.client.HTTPConnection("127.0.0.1", self.port, timeout=1).request("GET", "/")
                break
            except OSError:
                time.sleep(0.05)
        self.client = boto3.client("s3", endpoint_url=self.url, region_name="us-east-1",
                                   aws_access_key_id="x", aws_secret_access_key="x")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


class Faults:
    """What the proxy does to requests; tests set these and read the counters."""

    def __init__(self):
        self.lock = threading.Lock()
        self.slowdown_first = 0          # 503 SlowDown for the first N GETs of each object
        self.put_slowdown_first = 0      # and for the first N PUTs of each key
        self.reset_mid_body = set()      # keys whose first GET is cut off half-way
        self.slow_body_keys = set()      # keys whose body trickles (within timeouts)
        self.rewrite_before_get = {}     # key -> new bytes, written just before its first GET
        self.deny_prefixes = set()       # listing prefixes answered with AccessDenied
        self.bucket_regions = {}         # bucket -> region; others are us-east-1
        self.gets = collections.Counter()
        self.get_bytes = collections.Counter()  # body bytes served per key
        self.puts = collections.Counter()
        self.signatures_checked = 0
        self.signature_failures = []
        self.requests = []
        self.writes = []

    def reset_counters(self):
        with self.lock:
            self.gets.clear()
            self.get_bytes.clear()
            self.puts.clear()
            self.signatures_checked = 0
            self.signature_failures = []
            self.requests = []
            self.writes = []


def error_xml(code, message, extra=""):
    return (f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code><Message>{message}</Message>'
            f'{extra}<RequestId>proxy</RequestId></Error>').encode()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.handle_request()

    def do_HEAD(self):
        self.handle_request()

    def do_PUT(self):
        self.handle_request()

    def do_POST(self):
        self.handle_request()

    def do_DELETE(self):
        self.handle_request()

    def reply(self, status, body, headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Content-Type", "application/xml")
        self.end_headers()
        self.wfile.write(body)

    def verify(self, body):
        """None when the signature is right, else why not (botocore recomputes it)."""
        proxy = self.server.proxy
        auth = self.headers.get("Authorization", "")
        if self.command == "POST" and b"Action=AssumeRoleWithWebIdentity" in body and not auth:
            return None  # STS's web identity call is unsigned, as on AWS
        if not auth.startswith("AWS4-HMAC-SHA256 "):
            return "no SigV4 Authorization header"
        fields = dict(part.strip().split("=", 1) for part in auth[len("AWS4-HMAC-SHA256 "):].split(","))
        akid, date, region, service, _ = fields["Credential"].split("/")
        secret = proxy.secrets.get(akid)
        if secret is None:
            return f"unknown access key {akid}"
        signed = fields["SignedHeaders"].split(";")
        raw_path, _, raw_query = self.path.partition("?")
        # The path must be sent in canonical form: decoding and re-encoding it changes nothing.
        if botocore.utils.percent_encode(urllib.parse.unquote(raw_path), safe="/~") != raw_path:
            return f"path not canonically encoded: {raw_path}"
        params = [(urllib.parse.unquote(k), urllib.parse.unquote(v))
                  for k, _, v in (p.partition("=") for p in raw_query.split("&") if p)]
        request = botocore.awsrequest.AWSRequest(method=self.command, url=f"http://{self.headers['Host']}{raw_path}",
                                                 params=params, data=body)
        for name in signed:
            value = self.headers.get(name)
            if value is None:
                return f"signed header {name} missing"
            request.headers[name] = value
        request.context["timestamp"] = self.headers.get("x-amz-date", "")
        token = self.headers.get("x-amz-security-token")
        creds = botocore.credentials.Credentials(akid, secret, token)
        signer = (botocore.auth.S3SigV4Auth if service == "s3" else botocore.auth.SigV4Auth)(creds, service, region)
        canonical = signer.canonical_request(request)
        expected = signer.signature(signer.string_to_sign(request, canonical), request)
        if expected != fields["Signature"]:
            return f"SignatureDoesNotMatch for {self.command} {self.path}"
        declared = self.headers.get("x-amz-content-sha256")
        if service == "s3" and declared != "UNSIGNED-PAYLOAD" and declared != hashlib.sha256(body).hexdigest():
            return f"XAmzContentSHA256Mismatch for {self.command} {self.path}"
        if service == "s3" and region != proxy.faults.bucket_regions.get(self.bucket(), "us-east-1"):
            return ("region", region)
        return None

    def bucket(self):
        return urllib.parse.unquote(self.path.partition("?")[0].lstrip("/").split("/", 1)[0])

    def key(self):
        parts = urllib.parse.unquote(self.path.partition("?")[0]).lstrip("/").split("/", 1)
        return parts[1] if len(parts) > 1 else ""

    def handle_request(self):
        proxy = self.server.proxy
        faults = proxy.faults
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        problem = self.verify(body)
        with faults.lock:
            faults.signatures_checked += 1
            faults.requests.append((self.command, self.path))
            if self.command in ("PUT", "POST", "DELETE"):
                faults.writes.append((self.command, self.path))
        if isinstance(problem, tuple):
            right = faults.bucket_regions.get(self.bucket(), "us-east-1")
            return self.reply(301, error_xml("PermanentRedirect", "wrong region", f"<Region>{right}</Region>"),
                              [("x-amz-bucket-region", right)])
        if problem:
            with faults.lock:
                faults.signature_failures.append(problem)
            return self.reply(403, error_xml("SignatureDoesNotMatch", problem))
        query = urllib.parse.parse_qs(self.path.partition("?")[2], keep_blank_values=True)
        key = self.key()
        if self.command == "GET" and not key and "list-type" in query:
            prefix = query.get("prefix", [""])[0]
            if any(prefix.startswith(p) for p in faults.deny_prefixes):
                return self.reply(403, error_xml("AccessDenied", "Access Denied"))
        if self.command == "PUT" and key:
            with faults.lock:
                faults.puts[key] += 1
                n = faults.puts[key]
            if n <= faults.put_slowdown_first:
                return self.reply(503, error_xml("SlowDown", "Please reduce your request rate."))
        cut = slow = False
        if self.command == "GET" and key:
            with faults.lock:
                faults.gets[key] += 1
                n = faults.gets[key]
                rewrite = faults.rewrite_before_get.pop(key, None)
            if n <= faults.slowdown_first:
                return self.reply(503, error_xml("SlowDown", "Please reduce your request rate."))
            if rewrite is not None:
                proxy.moto.client.put_object(Bucket=self.bucket(), Key=key, Body=rewrite)
            cut = n == faults.slowdown_first + 1 and key in faults.reset_mid_body
            slow = key in faults.slow_body_keys
        self.forward(body, cut, slow)

    def forward(self, body, cut, slow):
        proxy = self.server.proxy
        conn = http.client.HTTPConnection("127.0.0.1", proxy.moto.port, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection", "keep-alive")}
        conn.request(self.command, self.path, body=body or None, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        if self.command == "POST" and b"Action=AssumeRole" in body and resp.status == 200:
            # Temporary keys STS hands out are accepted from then on, as AWS does.
            text = data.decode()
            akid = text.split("<AccessKeyId>")[1].split("<")[0]
            proxy.secrets[akid] = text.split("<SecretAccessKey>")[1].split("<")[0]
            proxy.issued.append(akid)
        self.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() not in ("content-length", "connection", "transfer-encoding", "server", "date"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command == "HEAD":
            return
        if self.command == "GET":
            with proxy.faults.lock:
                proxy.faults.get_bytes[urllib.parse.unquote(self.path.split("?")[0].split("/", 2)[-1])] += len(data)
        if cut and len(data) > 1:
            self.wfile.write(data[:len(data) // 2])
            self.wfile.flush()
            # A reset, not a clean close: the client sees the body end early.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            self.close_connection = True
            self.connection.close()
            return
        if slow:
            step = max(1, len(data) // 8)
            for i in range(0, len(data), step):
                self.wfile.write(data[i:i + step])
                self.wfile.flush()
                time.sleep(0.05)
            return
        self.wfile.write(data)


class ThreadingServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class VerifyingProxy:
    def __init__(self, moto):
        self.moto = moto
        self.faults = Faults()
        self.secrets = {ACCESS_KEY: SECRET_KEY}
        self.issued = []
        self.server = ThreadingServer(("127.0.0.1", 0), Handler)
        self.server.proxy = self
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def upload_tree(client, bucket, root, prefix):
    """Every file under `root` as `prefix` + its relative path; returns how many."""
    n = 0
    for dirpath, _, names in os.walk(root):
        for name in sorted(names):
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, root)
            with open(path, "rb") as f:
                client.put_object(Bucket=bucket, Key=prefix + rel, Body=f.read())
            n += 1
    return n


def sigtrail_env(proxy, extra=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({"AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY, "AWS_REGION": "us-east-1",
                "AWS_ENDPOINT_URL": proxy.url, "AWS_EC2_METADATA_DISABLED": "true",
                "AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent"})
    env.update(extra or {})
    return env
