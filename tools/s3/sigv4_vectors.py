#!/usr/bin/env python3
"""SigV4 test vectors computed by botocore's own signer, for the Swift signer's tests.

Each vector gives a request as sigtrail builds it (decoded S3 key, decoded query pairs, extra
headers, credentials, time) and what botocore makes of it: the encoded path, the canonical
request and the Authorization header. Generated from a fixed seed, so the file is reproducible:
`tools/s3/sigv4_vectors.py > Tests/S3StoreTests/Fixtures/sigv4-botocore.json`, and the interop
test checks the committed file still equals what the installed botocore computes.
"""
import datetime
import json
import random
import sys
from unittest import mock

import botocore.auth
import botocore.awsrequest
import botocore.credentials
import botocore.utils

KEY_PIECES = ["a", "logs/", "2026-12-04-07-10-00-ABCDEF", "dt=2026-12-04/", "x+y", "sp ace", "t~ilde",
              "pct%41", "q?u", "h#sh", "é", "日本", "emoji😀", "semi;colon", "eq=", "amp&", "a//b",
              "(paren)", "star*", "comma,", "'quote'", "colon:", "at@", "dollar$"]
QUERY_NAMES = ["list-type", "prefix", "delimiter", "continuation-token", "start-after", "max-keys",
               "encoding-type", "x", "empty", "répété", "a+b", "k~"]
QUERY_VALUES = ["", "2", "/", "a/b c", "dt=2026-12-04/", "x+y", "%2F", "~tilde", "é", "1Pc8...==",
                "a&b", "semi;", "with space", "plus+plus"]


def vector(rng, n):
    key = "".join(rng.choice(KEY_PIECES) for _ in range(rng.randint(0, 5)))
    query = [(rng.choice(QUERY_NAMES), rng.choice(QUERY_VALUES)) for _ in range(rng.randint(0, 4))]
    headers = []
    if rng.random() < 0.4:
        headers.append(("range", f"bytes={rng.randint(0, 1000)}-{rng.randint(1001, 99999)}"))
    if rng.random() < 0.4:
        headers.append(("if-match", '"%032x"' % rng.getrandbits(128)))
    if rng.random() < 0.2:
        headers.append(("x-amz-meta-note", "  two   spaces  inside "))
    token = None if rng.random() < 0.5 else "FwoGZXIvYXdzE" + "%032x" % rng.getrandbits(128)
    host = rng.choice(["bucket.s3.eu-west-1.amazonaws.com", "127.0.0.1:5000", "s3.us-east-1.amazonaws.com"])
    region = rng.choice(["us-east-1", "eu-west-1", "ap-southeast-2"])
    creds = botocore.credentials.Credentials(f"AKIAEXAMPLE{n:05d}", f"secret/{n}+key=", token)
    when = datetime.datetime(2026, 12, 4, 7, 10, 0) + datetime.timedelta(seconds=rng.randint(0, 10**8))
    path = "/" + botocore.utils.percent_encode(key, safe="/~") if key else "/"
    request = botocore.awsrequest.AWSRequest(method="GET", url=f"https://{host}{path}", params=query)
    for name, value in headers:
        request.headers[name] = value
    signer = botocore.auth.S3SigV4Auth(creds, "s3", region)
    seen = []
    original = signer.canonical_request

    def capture(req):
        seen.append(original(req))
        return seen[-1]

    signer.canonical_request = capture
    with mock.patch("botocore.auth.get_current_datetime", return_value=when):
        signer.add_auth(request)
    canonical = seen[0]
    # botocore chooses the payload hash itself (the empty body's for a GET over https).
    payload = request.headers["X-Amz-Content-SHA256"]
    return {
        "key": key, "query": query, "headers": headers, "host": host, "region": region,
        "accessKeyID": creds.access_key, "secret": creds.secret_key, "token": token,
        "payloadHash": payload, "epochSeconds": int(when.replace(tzinfo=datetime.timezone.utc).timestamp()),
        "encodedPath": path, "canonicalRequest": canonical, "authorization": request.headers["Authorization"],
    }


def main():
    rng = random.Random(20261204)
    json.dump([vector(rng, n) for n in range(150)], sys.stdout, ensure_ascii=False, indent=0)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
