#!/usr/bin/env python3
"""Planted presigned-URL scenarios for the canned hunts, with the answers written down.

    tools/gen_hunt.py --out DIR [--noise 2000] [--seed 3] --truth truth.json

Writes S3 server access logs (DIR/s3/) and CloudTrail archives (DIR/cloudtrail/AWSLogs/...) for
one day, 2024-03-01, in which:

- three EC2 instances get instance-profile credentials (AssumeRole by ec2.amazonaws.com; the
  session name is the instance id), one more session is issued later;
- URL u1 is signed with i-0aaa1's key, used from the office (a browser, so a favicon.ico side
  request is denied right after), then the instance is terminated and u1 is used twice from an
  outside address: the seed article's scenario;
- u2 is signed with i-0bbb2's key and used (a CloudTrail data event, delivered twice) after that
  instance was stopped;
- a revocation time falls between; sessions issued before it keep working (u1) or are denied
  (a burst of denied requests with i-0ccc3's key); a session issued after it is left alone;
- a user key writes through presigned URLs (PUT in the access logs, DELETE in CloudTrail), one URL
  is used from four addresses and two user agents, a SigV2 URL expires in 2035;
- `--noise` ordinary requests and presigned uses from inside the allowed networks surround them.

--truth writes what each hunt must answer: ids (access-log request ids, CloudTrail event ids) of
the uses each use-level hunt lists, (signer, object) pairs for URL-level hunts, and the bursts.
"""
import argparse
import datetime
import gzip
import hashlib
import ipaddress
import json
import os
import random
import shutil
import urllib.parse
import uuid

ACCOUNT = "111122223333"
ROLE = "arn:aws:iam::%s:role/web-server" % ACCOUNT
OWNER = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"
ALLOW = ["10.0.0.0/8", "203.0.113.0/24"]
DAY = datetime.datetime(2024, 3, 1, tzinfo=datetime.timezone.utc)
REVOKED_AT = DAY + datetime.timedelta(hours=2, minutes=30)


def at(h, m=0, s=0):
    return DAY + datetime.timedelta(hours=h, minutes=m, seconds=s)


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def amz(t):
    return t.strftime("%Y%m%dT%H%M%SZ")


def sal_time(t):
    return t.strftime("[%d/%b/%Y:%H:%M:%S +0000]")


class Scenario:
    def __init__(self, seed):
        self.r = random.Random(seed)
        self.sal = []  # (time, line)
        self.ct = []  # (time, record)
        self.truth = {"allow": ALLOW, "role": ROLE, "revoked_at": iso(REVOKED_AT), "uses": {}}
        self.uses = []  # every planted presigned use: dict(id, ip, time, akid, object, method, status, source)

    def rid(self):
        return "".join(self.r.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") for _ in range(16))

    def key(self, prefix):
        return prefix + "".join(self.r.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(16))

    def hexsig(self):
        return "".join(self.r.choice("0123456789abcdef") for _ in range(64))

    # -- access-log lines ----------------------------------------------------------------

    def sal_line(self, t, bucket, ip, requester, op, key, method, query, status, err, nbytes, ua, auth, sigver):
        rid = self.rid()
        uri = "%s /%s%s HTTP/1.1" % (method, key, "?" + query if query else "")
        host = "".join(self.r.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
                       for _ in range(56)) + "="
        line = ('%s %s %s %s %s %s %s %s "%s" %d %s %s %s %d %d "-" "%s" - %s %s ECDHE-RSA-AES128-GCM-SHA256 %s '
                '%s.s3.us-east-1.amazonaws.com TLSv1.2 - -') % (
            OWNER, bucket, sal_time(t), ip, requester, rid, op, key, uri, status, err or "-",
            nbytes if nbytes else "-", 40960, 12, 9, ua, host, sigver or "-", auth or "-", bucket)
        self.sal.append((t, line))
        return rid

    def presigned_sal(self, t, akid, principal, signed, expires, bucket, key, ip, ua, method="GET", status=200,
                      err=None, token=True):
        cred = "%s%%2F%s%%2Fus-east-1%%2Fs3%%2Faws4_request" % (akid, signed.strftime("%Y%m%d"))
        q = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=%s&X-Amz-Date=%s&X-Amz-Expires=%d" % (
            cred, amz(signed), expires)
        q += "&X-Amz-SignedHeaders=host"
        if token:
            q += "&X-Amz-Security-Token=IQoJb3JpZ2luX2VjE" + "".join(self.r.choice("abcdefXYZ0123") for _ in range(80))
        q += "&X-Amz-Signature=" + self.hexsig()
        op = {"GET": "REST.GET.OBJECT", "PUT": "REST.PUT.OBJECT", "DELETE": "REST.DELETE.OBJECT"}[method]
        rid = self.sal_line(t, bucket, ip, principal, op, key, method, q, status, err, 4096 if status < 400 else 243,
                            ua, "QueryString", "SigV4")
        self.uses.append(dict(id=rid, source="s3_access", ip=ip, time=iso(t), akid=akid, object="%s/%s" % (bucket, key),
                              method=method, status=status))
        return rid

    # -- CloudTrail records --------------------------------------------------------------

    def base(self, t, name, source, category="Management"):
        return {"eventVersion": "1.09", "eventTime": iso(t), "eventSource": source, "eventName": name,
                "awsRegion": "us-east-1", "sourceIPAddress": "ec2.amazonaws.com", "userAgent": "ec2.amazonaws.com",
                "requestID": str(uuid.UUID(int=self.r.getrandbits(128))),
                "eventID": str(uuid.UUID(int=self.r.getrandbits(128))), "readOnly": False,
                "eventType": "AwsApiCall", "managementEvent": category == "Management",
                "recipientAccountId": ACCOUNT, "eventCategory": category}

    def assume_instance(self, t, instance):
        akid = self.key("ASIA")
        rec = self.base(t, "AssumeRole", "sts.amazonaws.com")
        expiration = t + datetime.timedelta(hours=6)
        rec.update(userIdentity={"type": "AWSService", "invokedBy": "ec2.amazonaws.com"},
                   requestParameters={"roleArn": ROLE, "roleSessionName": instance},
                   responseElements={"credentials": {"accessKeyId": akid, "sessionToken": "IQoJ" + self.hexsig(),
                                                     "expiration": expiration.strftime("%b %-d, %Y, %-I:%M:%S %p")}})
        self.ct.append((t, rec))
        return akid

    def instance_end(self, t, name, instance):
        rec = self.base(t, name, "ec2.amazonaws.com")
        rec.update(userIdentity={"type": "IAMUser", "arn": "arn:aws:iam::%s:user/ops" % ACCOUNT,
                                 "accountId": ACCOUNT, "accessKeyId": self.key("AKIA"), "userName": "ops"},
                   sourceIPAddress="203.0.113.5", userAgent="aws-cli/2.15.30",
                   requestParameters={"instancesSet": {"items": [{"instanceId": instance}]}},
                   responseElements={"instancesSet": {"items": [{"instanceId": instance}]}})
        self.ct.append((t, rec))

    def presigned_ct(self, t, name, akid, principal, signed, expires, bucket, key, ip, duplicate=False,
                     request_id=None):
        rec = self.base(t, name, "s3.amazonaws.com", "Data")
        if request_id:
            rec["requestID"] = request_id  # S3's own request id, as CloudTrail logs data events
        ident = {"type": "AssumedRole" if akid.startswith("ASIA") else "IAMUser", "arn": principal,
                 "accountId": ACCOUNT, "accessKeyId": akid}
        rec.update(userIdentity=ident, sourceIPAddress=ip, userAgent="python-requests/2.31.0",
                   requestParameters={"bucketName": bucket, "key": key, "Host": "%s.s3.amazonaws.com" % bucket,
                                      "X-Amz-Date": amz(signed), "X-Amz-Expires": str(expires),
                                      "X-Amz-Algorithm": "AWS4-HMAC-SHA256", "X-Amz-SignedHeaders": "host"},
                   responseElements=None,
                   additionalEventData={"SignatureVersion": "SigV4", "AuthenticationMethod": "QueryString",
                                        "bytesTransferredIn": 0, "bytesTransferredOut": 4096},
                   resources=[{"type": "AWS::S3::Object", "ARN": "arn:aws:s3:::%s/%s" % (bucket, key)}])
        self.ct.append((t, rec))
        if duplicate:
            self.ct.append((t + datetime.timedelta(minutes=7), json.loads(json.dumps(rec))))
        method = "DELETE" if name.startswith("Delete") else "PUT" if name.startswith("Put") else "GET"
        self.uses.append(dict(id=rec["eventID"], source="cloudtrail", ip=ip, time=iso(t), akid=akid,
                              object="%s/%s" % (bucket, key), method=method, status=200))
        return rec["eventID"]

    def put_policy(self, t, role_name, policy_name, document, error=None, name="PutRolePolicy", parameters=None):
        """An IAM policy event by the ops user, its document URL-encoded as IAM events log it."""
        rec = self.base(t, name, "iam.amazonaws.com")
        text = json.dumps(document, separators=(",", ":")) if document else None
        rec.update(userIdentity={"type": "IAMUser", "arn": "arn:aws:iam::%s:user/ops" % ACCOUNT,
                                 "accountId": ACCOUNT, "accessKeyId": self.key("AKIA"), "userName": "ops"},
                   sourceIPAddress="203.0.113.5", userAgent="AWS Internal", responseElements=None,
                   requestParameters=parameters or {"roleName": role_name, "policyName": policy_name,
                                                    "policyDocument": urllib.parse.quote(text, safe="")})
        if error:
            rec.update(errorCode=error, errorMessage="User: ops is not authorized to perform: iam:PutRolePolicy")
        self.ct.append((t, rec))

    # -- the story -----------------------------------------------------------------------

    def build(self, noise):
        inst = {"a": "i-0aaa1aaaa1aaaa1a1", "b": "i-0bbb2bbbb2bbbb2b2", "c": "i-0ccc3cccc3cccc3c3"}
        session = lambda i: "arn:aws:sts::%s:assumed-role/web-server/%s" % (ACCOUNT, i)
        k1 = self.assume_instance(at(0, 10), inst["a"])
        k2 = self.assume_instance(at(0, 11), inst["b"])
        k3 = self.assume_instance(at(0, 12), inst["c"])
        alice = "arn:aws:iam::%s:user/alice" % ACCOUNT
        user_key = self.key("AKIA")
        browser = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 Safari/605.1.15"
        curl = "curl/8.5.0"
        t = self.truth
        # u1: the seed article. Used from the office by a browser, then the instance is terminated,
        # then used twice from outside.
        u1 = dict(akid=k1, object="data-bkt/reports/q1.pdf")
        office = self.presigned_sal(at(1, 5), k1, session(inst["a"]), at(1), 604800, "data-bkt", "reports/q1.pdf",
                                    "203.0.113.10", browser)
        favicon = self.sal_line(at(1, 5, 2), "data-bkt", "203.0.113.10", "-", "REST.GET.OBJECT", "favicon.ico", "GET",
                                None, 403, "AccessDenied", 0, browser, None, None)
        self.instance_end(at(2), "TerminateInstances", inst["a"])
        after1 = self.presigned_sal(at(3), k1, session(inst["a"]), at(1), 604800, "data-bkt", "reports/q1.pdf",
                                    "198.51.100.66", curl)
        after2 = self.presigned_sal(at(5, 30), k1, session(inst["a"]), at(1), 604800, "data-bkt", "reports/q1.pdf",
                                    "198.51.100.66", curl)
        # u2: i-0bbb2 stopped at 02:10, its URL used at 02:20 (a data event, delivered twice).
        self.instance_end(at(2, 10), "StopInstances", inst["b"])
        # The same request is in the access logs too (same request id): one use, both sources.
        u2_rid = self.presigned_sal(at(2, 20), k2, session(inst["b"]), at(1, 30), 3600, "data-bkt",
                                    "exports/customers.csv", "198.51.100.77", "python-requests/2.31.0")
        self.uses.pop()
        u2_use = self.presigned_ct(at(2, 20), "GetObject", k2, session(inst["b"]), at(1, 30), 3600, "data-bkt",
                                   "exports/customers.csv", "198.51.100.77", duplicate=True, request_id=u2_rid)
        # u3: i-0ccc3 runs on; a normal use, then a burst of denied requests after the revocation.
        self.presigned_sal(at(0, 40), k3, session(inst["c"]), at(0, 30), 43200, "data-bkt", "app/config.json",
                           "10.0.5.5", "Boto3/1.34.69")
        burst = [self.presigned_sal(at(4, 0, 10 * i), k3, session(inst["c"]), at(0, 30), 43200, "data-bkt",
                                    "app/config.json", "192.0.2.99", curl, status=403, err="AccessDenied")
                 for i in range(5)]
        # A session issued after the revocation, and its use: not the revocation's business.
        k4 = self.assume_instance(at(3), inst["c"])
        self.presigned_sal(at(3, 15), k4, session(inst["c"]), at(3, 10), 3600, "data-bkt", "app/config.json",
                           "10.0.5.5", "Boto3/1.34.69")
        # Writes through presigned URLs with a user key.
        put = self.presigned_sal(at(1, 45), user_key, alice, at(1, 40), 3600, "upload-bkt", "incoming/drop.bin",
                                 "198.51.100.88", curl, method="PUT", token=False)
        delete = self.presigned_ct(at(1, 50), "DeleteObject", user_key, alice, at(1, 48), 3600, "upload-bkt",
                                   "incoming/old.bin", "10.0.5.6")
        # u5: one URL, four addresses, two user agents.
        spread_ids = [self.presigned_sal(at(2, 0 + 5 * i), user_key, alice, at(2), 86400, "data-bkt",
                                         "shared/report.zip", ip, ua, token=False)
                      for i, (ip, ua) in enumerate([("10.0.5.7", curl), ("198.51.100.90", browser),
                                                    ("198.51.100.91", curl), ("2001:db8:1::5", curl)])]
        # u6: SigV2, far-future Expires.
        v2 = self.key("AKIA")
        q = "AWSAccessKeyId=%s&Expires=2051222400&Signature=%s" % (v2, "q5Zq%2FbHk0Yx8Wm7Qe3o2pQ5mYyE%3D")
        v2_id = self.sal_line(at(2, 40), "data-bkt", "10.0.5.8", "arn:aws:iam::%s:user/legacy" % ACCOUNT,
                              "REST.GET.OBJECT", "legacy/archive.tar", "GET", q, 200, None, 4096, curl, "QueryString",
                              "SigV2")
        self.uses.append(dict(id=v2_id, source="s3_access", ip="10.0.5.8", time=iso(at(2, 40)), akid=v2,
                              object="data-bkt/legacy/archive.tar", method="GET", status=200))
        self.noise(noise)
        # The revocation itself, as the console's "Revoke active sessions" writes it a few seconds
        # after the time it puts in the policy; beside it, an ordinary inline policy and a revocation
        # that failed, neither of which revokes anything.
        revoke = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": ["*"], "Resource": ["*"],
                  "Condition": {"DateLessThan": {"aws:TokenIssueTime": REVOKED_AT.strftime("%Y-%m-%dT%H:%M:%S.000Z")}}}]}
        self.put_policy(REVOKED_AT + datetime.timedelta(seconds=12), "web-server", "AWSRevokeOlderSessions", revoke)
        self.put_policy(at(1), "web-server", "read-config", {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data-bkt/app/*"}]})
        self.put_policy(at(4, 30), "batch", "AWSRevokeOlderSessions", revoke, error="AccessDenied")
        # A managed policy denying on aws:TokenIssueTime, created, then attached to another role: a
        # revocation from the moment both are in place.
        managed = json.loads(json.dumps(revoke))
        managed["Statement"][0]["Condition"]["DateLessThan"]["aws:TokenIssueTime"] = "2024-03-01T04:00:00Z"
        policy_arn = "arn:aws:iam::%s:policy/revoke-batch" % ACCOUNT
        self.put_policy(at(3, 50), None, None, None, name="CreatePolicy", parameters={
            "policyName": "revoke-batch", "policyDocument": json.dumps(managed)})
        self.put_policy(at(4, 1), None, None, None, name="AttachRolePolicy", parameters={
            "roleName": "batch", "policyArn": policy_arn})

        allowed = [ipaddress.ip_network(a) for a in ALLOW]
        inside = lambda ip: any(ipaddress.ip_address(ip) in n for n in allowed)
        planted = [u for u in self.uses if not u.get("noise")]
        t["presigned_urls"] = sorted({(u["akid"], u["object"]) for u in planted})
        t["outside"] = sorted(u["id"] for u in self.uses if not inside(u["ip"]))
        t["after_termination"] = sorted([after1, after2, u2_use])
        t["both_sources"] = {"event_id": u2_use, "request_id": u2_rid, "akid": k2, "object": "data-bkt/exports/customers.csv"}
        t["after_termination_manual"] = {"instance": inst["a"], "at": iso(at(2)), "ids": sorted([after1, after2])}
        t["after_revocation"] = {"succeeded": sorted([after1, after2]), "denied": sorted(burst)}
        t["revocations"] = [{"principal": ROLE, "revoked_at": iso(REVOKED_AT + datetime.timedelta(seconds=12)),
                             "revoke_before": iso(REVOKED_AT), "denied": len(burst), "succeeded": 2},
                            {"principal": "arn:aws:iam::%s:role/batch" % ACCOUNT, "revoked_at": iso(at(4, 1)),
                             "revoke_before": iso(at(4)), "denied": 0, "succeeded": 0}]
        t["long_lived"] = {"over": "12h", "urls": sorted([(user_key, "data-bkt/shared/report.zip"),
                                                          (v2, "data-bkt/legacy/archive.tar")])}
        t["writes"] = sorted([put, delete])
        t["spread"] = {"min_ips": 3, "urls": [(user_key, "data-bkt/shared/report.zip")], "ids": sorted(spread_ids)}
        t["denied"] = {"probing": [["192.0.2.99", k3, 5]], "favicon": [["203.0.113.10", 1]]}
        t["sessions"] = {"revoked": sorted([k1, k2, k3]), "kept": [k4]}
        t["u1"] = dict(u1, uses=3, ips=2, first=iso(at(1, 5)), last=iso(at(5, 30)))
        t["office_use"], t["favicon_id"] = office, favicon
        t["uses"] = {u["id"]: u for u in self.uses}

    def noise(self, n):
        """Ordinary traffic from inside: unsigned requests and short presigned uses, all allowed."""
        r = self.r
        keys = [self.key("AKIA") for _ in range(20)]
        for i in range(n):
            t = DAY + datetime.timedelta(seconds=r.randrange(86400))
            ip = "10.%d.%d.%d" % (r.randrange(256), r.randrange(256), r.randrange(1, 255))
            if r.random() < 0.3:
                akid = r.choice(keys)
                signed = t - datetime.timedelta(seconds=r.randrange(1, 200))
                bucket, key = "data-bkt", "noise/%05d.bin" % r.randrange(100000)
                self.presigned_sal(t, akid, "arn:aws:iam::%s:user/svc%d" % (ACCOUNT, keys.index(akid)), signed, 300,
                                   bucket, key, ip, "aws-sdk-go/1.50", token=False)
                self.uses[-1]["noise"] = True
            else:
                self.sal_line(t, "data-bkt", ip, "arn:aws:iam::%s:user/svc" % ACCOUNT, "REST.GET.OBJECT",
                              "noise/%05d.bin" % r.randrange(100000), "GET", None, 200, None, 1234, "aws-sdk-go/1.50",
                              "AuthHeader", "SigV4")

    def write(self, out):
        if os.path.exists(out):
            shutil.rmtree(out)
        self.sal.sort(key=lambda x: x[0])
        # Hourly access-log deliveries.
        for hour in range(24):
            lines = [l for t, l in self.sal if t.hour == hour]
            if lines:
                path = os.path.join(out, "s3", "data-bkt", "2024-03-01-%02d-00-00-%016X" % (hour, self.r.getrandbits(64)))
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "w") as f:
                    f.write("\n".join(lines) + "\n")
        self.ct.sort(key=lambda x: x[0])
        base = os.path.join(out, "cloudtrail", "AWSLogs", ACCOUNT, "CloudTrail", "us-east-1", "2024", "03", "01")
        os.makedirs(base, exist_ok=True)
        for n in range(0, len(self.ct), 7):
            chunk = [rec for _, rec in self.ct[n:n + 7]]
            name = "%s_CloudTrail_us-east-1_20240301T%02d00Z_%04d.json.gz" % (ACCOUNT, n % 24, n)
            with gzip.open(os.path.join(base, name), "wt") as f:
                json.dump({"Records": chunk}, f)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True)
    p.add_argument("--noise", type=int, default=2000)
    p.add_argument("--seed", type=int, default=3)
    p.add_argument("--truth")
    a = p.parse_args()
    s = Scenario(a.seed)
    s.build(a.noise)
    s.write(a.out)
    if a.truth:
        with open(a.truth, "w") as f:
            json.dump(s.truth, f, indent=1, sort_keys=True)
    print(json.dumps({"access_log_lines": len(s.sal), "cloudtrail_records": len(s.ct)}))


if __name__ == "__main__":
    main()
