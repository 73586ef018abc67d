"""The AWS credential chain, each source against a local stand-in: shared config and credentials
files with --profile, credential_process, assume-role through STS (moto's), web identity, container
credentials and the instance metadata service v2, with refresh before expiry. Every request that
reaches the S3 server is signature-checked by botocore's signer in the proxy."""
import datetime
import http.server
import json
import os
import subprocess
import threading

import pytest
from conftest import sigtrail_binary

s3_server = pytest.importorskip("s3_server")

SESSION_TOKEN = "IQoJb3JpZ2luX2VjEXAMPLEsessiontoken"


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    moto = s3_server.Moto()
    proxy = s3_server.VerifyingProxy(moto)
    moto.client.create_bucket(Bucket="chain")
    base = tmp_path_factory.mktemp("chain")
    (base / "one.log").write_bytes(open(os.path.join(os.path.dirname(__file__), "..", "..", "Samples", "s3-access",
                                                     "logs", "acme-data-0", "2023-11-15-08-08-13-6C07B5A5950B17F4"),
                                        "rb").read())
    moto.client.put_object(Bucket="chain", Key="logs/one.log", Body=(base / "one.log").read_bytes())
    yield moto, proxy
    proxy.stop()
    moto.stop()


def index(proxy, tmp_path, env, extra_args=(), ok=(0, 2)):
    base = s3_server.sigtrail_env(proxy)
    for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        base.pop(k)
    base.update(env)
    proc = subprocess.run([sigtrail_binary(), "index", "s3://chain/logs/", "--out", str(tmp_path / "out"), "--json",
                           "-q", *extra_args], capture_output=True, env=base, timeout=120)
    assert proc.returncode in ok, proc.stderr.decode()[-2000:]
    return proc


def read_one(proc):
    s = json.loads(proc.stdout)
    assert s["filesRead"] == 1 and s["rowsIndexed"] > 0, s
    return s


class Endpoint:
    """A loopback HTTP server answering with `handler(request) -> (status, body)`."""

    def __init__(self, handler):
        outer = self
        self.hits = []

        class H(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def answer(self):
                outer.hits.append((self.command, self.path, dict(self.headers)))
                status, body = handler(self)
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_PUT = answer

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()


def document(expires_in=3600):
    expiry = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=expires_in)
    return json.dumps({"AccessKeyId": s3_server.ACCESS_KEY, "SecretAccessKey": s3_server.SECRET_KEY,
                       "Token": SESSION_TOKEN, "Expiration": expiry.strftime("%Y-%m-%dT%H:%M:%SZ")}).encode()


def test_profile_static_keys_win_over_environment_when_named(servers, tmp_path):
    _, proxy = servers
    creds = tmp_path / "credentials"
    creds.write_text(f"[hunt]\naws_access_key_id = {s3_server.ACCESS_KEY}\n"
                     f"aws_secret_access_key = {s3_server.SECRET_KEY}\n")
    env = {"AWS_SHARED_CREDENTIALS_FILE": str(creds), "AWS_ACCESS_KEY_ID": "AKIAWRONG",
           "AWS_SECRET_ACCESS_KEY": "wrong"}
    read_one(index(proxy, tmp_path, env, ["--profile", "hunt"]))
    # AWS_PROFILE names it too, but environment keys come first then (the SDKs' order).
    (tmp_path / "out").rename(tmp_path / "out1")
    read_one(index(proxy, tmp_path, {"AWS_SHARED_CREDENTIALS_FILE": str(creds), "AWS_PROFILE": "hunt"}))


def test_credential_process(servers, tmp_path):
    _, proxy = servers
    script = tmp_path / "creds.sh"
    script.write_text(f"#!/bin/sh\ncat <<'EOF'\n{json.dumps({'Version': 1, 'AccessKeyId': s3_server.ACCESS_KEY, 'SecretAccessKey': s3_server.SECRET_KEY})}\nEOF\n")
    script.chmod(0o755)
    config = tmp_path / "config"
    config.write_text(f"[profile proc]\ncredential_process = {script}\nregion = us-east-1\n")
    read_one(index(proxy, tmp_path, {"AWS_CONFIG_FILE": str(config)}, ["--profile", "proc"]))


def test_assume_role_with_source_profile_through_sts(servers, tmp_path):
    _, proxy = servers
    config = tmp_path / "config"
    config.write_text("[profile base]\n"
                      f"aws_access_key_id = {s3_server.ACCESS_KEY}\naws_secret_access_key = {s3_server.SECRET_KEY}\n"
                      "[profile responder]\nrole_arn = arn:aws:iam::123456789012:role/ir\nsource_profile = base\n"
                      "role_session_name = sigtrail-test\n")
    issued = len(proxy.issued)
    read_one(index(proxy, tmp_path, {"AWS_CONFIG_FILE": str(config)}, ["--profile", "responder"]))
    # The S3 requests were signed with the role's temporary key, which STS had just issued.
    assert len(proxy.issued) == issued + 1
    assert not proxy.faults.signature_failures


def test_web_identity_from_environment(servers, tmp_path):
    _, proxy = servers
    token = tmp_path / "token"
    token.write_text("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQifQ.c2ln")
    issued = len(proxy.issued)
    read_one(index(proxy, tmp_path, {"AWS_WEB_IDENTITY_TOKEN_FILE": str(token),
                                     "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/eks-indexer"}))
    assert len(proxy.issued) == issued + 1


def test_container_credentials_with_authorization_token(servers, tmp_path):
    _, proxy = servers
    seen = []

    def handler(req):
        seen.append(req.headers.get("Authorization"))
        return (200, document()) if req.headers.get("Authorization") == "pod-identity-token" else (401, b"")

    endpoint = Endpoint(handler)
    try:
        tokenfile = tmp_path / "pod-token"
        tokenfile.write_text("pod-identity-token\n")
        read_one(index(proxy, tmp_path, {"AWS_CONTAINER_CREDENTIALS_FULL_URI": endpoint.url + "/v1/credentials",
                                         "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": str(tokenfile)}))
    finally:
        endpoint.stop()
    assert seen and seen[0] == "pod-identity-token"


def test_instance_metadata_v2_token_first_and_refresh_before_expiry(servers, tmp_path):
    _, proxy = servers

    def handler(req):
        if req.command == "PUT" and req.path == "/latest/api/token":
            return 200, b"imds-session-token"
        if req.headers.get("x-aws-ec2-metadata-token") != "imds-session-token":
            return 401, b""
        if req.path == "/latest/meta-data/iam/security-credentials/":
            return 200, b"indexer-role"
        if req.path == "/latest/meta-data/iam/security-credentials/indexer-role":
            # Inside the refresh margin: each use fetches them again, as a long run would near expiry.
            return 200, document(expires_in=120)
        return 404, b""

    endpoint = Endpoint(handler)
    try:
        read_one(index(proxy, tmp_path, {"AWS_EC2_METADATA_SERVICE_ENDPOINT": endpoint.url,
                                         "AWS_EC2_METADATA_DISABLED": "false"}))
    finally:
        endpoint.stop()
    puts = [h for h in endpoint.hits if h[0] == "PUT"]
    creds = [h for h in endpoint.hits if h[1].endswith("/indexer-role")]
    assert endpoint.hits[0][0] == "PUT" and len(puts) >= 2 and len(creds) >= 2


def test_no_credentials_is_a_clear_error(servers, tmp_path):
    _, proxy = servers
    proc = index(proxy, tmp_path, {}, ok=(1,))
    assert "no AWS credentials found" in proc.stderr.decode()
