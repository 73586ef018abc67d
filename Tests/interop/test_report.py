"""`sigtrail report`: built from the hunt tree's planted scenarios and read back as a person would,
in the HTML and in a real browser (headless Chromium): every planted finding with its instance,
key and uses, no decoy, timelines with their marks, and attacker-controlled text shown as text."""
import html.parser
import json
import os
import re
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT, sigtrail

XSS = "<script>document.title='pwned'</script><img src=x onerror=\"document.title='pwned'\">"


class Page(html.parser.HTMLParser):
    """Stories (article.story) by section, each with its data attributes and listed use ids."""

    def __init__(self):
        super().__init__()
        self.section = None
        self.stories = {}
        self.story = None
        self.signers = []
        self.svgs = []
        self.scripts = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script":
            self.scripts += 1
        if tag == "section":
            self.section = a.get("id")
        elif tag == "article" and "story" in a.get("class", ""):
            self.story = dict(a, ids=[], marks=0)
            self.stories.setdefault(self.section, []).append(self.story)
        elif tag == "article" and "signer" in a.get("class", ""):
            self.signers.append(a["data-signer"])
        elif tag == "tr" and "data-id" in a and self.story is not None:
            self.story["ids"].append(a["data-id"])
        elif tag == "svg":
            self.svgs.append(dict(a, drawn=0))
            if self.story is not None:
                self.story["svg"] = self.svgs[-1]
        elif tag in ("circle", "g") and self.svgs and ("use" in a.get("class", "") or a.get("class") == "bin"):
            self.svgs[-1]["drawn"] += 1


def parse(text):
    p = Page()
    p.feed(text)
    return p


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    base = tmp_path_factory.mktemp("report")
    subprocess.run([sys.executable, os.path.join(ROOT, "tools", "gen_hunt.py"), "--out", str(base / "c"),
                    "--truth", str(base / "truth.json"), "--noise", "2000"], check=True, capture_output=True)
    truth = json.load(open(base / "truth.json"))
    # One more outside use, whose user agent is markup.
    with open(base / "c" / "s3" / "2024-03-01-23-59-00-XSSXSSXSSXSSXSSX", "w") as f:
        f.write('79a5 data-bkt [01/Mar/2024:23:59:00 +0000] 198.51.100.250 - XSSREQUEST000001 REST.GET.OBJECT '
                'x.bin "GET /data-bkt/x.bin?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAXSSXSSXSSXSSXSS0'
                '%2F20240301%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20240301T235800Z&X-Amz-Expires=300'
                '&X-Amz-SignedHeaders=host&X-Amz-Signature=' + "ab" * 32 + ' HTTP/1.1" 200 - 10 10 1 1 "-" "'
                + XSS + '" - aGk= SigV4 ECDHE-RSA-AES128-GCM-SHA256 QueryString data-bkt.s3.amazonaws.com TLSv1.2\n')
    out = base / "out"
    sigtrail("index", base / "c", "--out", out, "--quiet", ok=(0,))
    report = base / "report.html"
    # No --role/--at: the report finds the planted revocation in CloudTrail itself.
    args = ["report", out, "--html", report]
    for a in truth["allow"]:
        args += ["--allow", a]
    sigtrail(*args, ok=(0,))
    md = sigtrail(*[a for a in args if a not in ("--html", report)], "--format", "md", ok=(0,)).stdout.decode()
    return {"out": out, "truth": truth, "html": report.read_text(), "path": report, "md": md, "args": args}


def test_the_same_shards_give_the_same_report(planted, tmp_path):
    """Byte for byte but the time it was written: nothing depends on hash order or threads."""
    again = tmp_path / "again.html"
    args = [again if a == planted["path"] else a for a in planted["args"]]
    sigtrail(*args, "--threads", "1", ok=(0,))
    stamp = re.compile(r"generated [0-9T:.Z-]+")
    assert stamp.sub("", again.read_text()) == stamp.sub("", planted["html"])


def ids(stories):
    return sorted(i for s in stories for i in s["ids"])


def test_every_planted_finding_is_a_story_and_no_decoy_is(planted):
    t, page = planted["truth"], parse(planted["html"])
    assert page.scripts == 0
    after = page.stories["after-termination"]
    assert ids(after) == sorted(t["after_termination"])
    assert {s["data-instance"] for s in after} == {"i-0aaa1aaaa1aaaa1a1", "i-0bbb2bbbb2bbbb2b2"}
    u1 = next(s for s in after if s["data-signer"] == t["u1"]["akid"])
    assert u1["data-object"] == t["u1"]["object"] and u1["data-flagged"] == "2"
    revoked = page.stories["after-revocation"]
    assert ids(revoked) == sorted(t["after_revocation"]["denied"] + t["after_revocation"]["succeeded"])
    assert ids(page.stories["outside"]) == sorted(t["outside"] + ["XSSREQUEST000001"])
    assert ids(page.stories["writes"]) == sorted(t["writes"])
    assert ids(page.stories["spread"]) == sorted(t["spread"]["ids"])
    assert {(s["data-signer"], s["data-object"]) for s in page.stories["spread"]} == {tuple(u) for u in t["spread"]["urls"]}
    assert {(s["data-signer"], s["data-object"]) for s in page.stories["long-lived"]} == \
        {tuple(u) for u in t["long_lived"]["urls"]}
    probing = [s for s in page.stories["denied"] if s["data-signer"]]
    assert [(s["data-signer"], len(s["ids"])) for s in probing] == [(a, n) for _, a, n in t["denied"]["probing"]]
    # Each revoked session that signed a URL in a finding has its signer section and policy.
    for akid in t["sessions"]["revoked"]:
        assert akid in page.signers
    assert '"aws:TokenIssueTime"' in planted["html"] or "aws:TokenIssueTime" in planted["html"]
    # Findings are ordered by severity: use after the signer ended first.
    order = [s for s in ("after-termination", "after-revocation", "outside", "writes", "spread", "long-lived",
                         "denied") if s in page.stories]
    positions = [planted["html"].index('id="%s"' % s) for s in order]
    assert positions == sorted(positions)


def test_timelines_draw_every_use_and_the_moments_around_it(planted):
    page = parse(planted["html"])
    stories = [s for ss in page.stories.values() for s in ss]
    assert len(page.svgs) == len(stories)
    for s in stories:
        svg = s["svg"]
        assert int(svg["data-marks"]) == svg["drawn"]
        assert int(svg["data-uses"]) == svg["drawn"]  # few uses: one mark each
    u1 = next(s for s in page.stories["after-termination"] if s["data-instance"] == "i-0aaa1aaaa1aaaa1a1")
    assert u1["svg"]["data-events"] == "4"  # issued, signed, terminated, expires


def test_markup_from_a_log_is_text_and_secrets_are_absent(planted):
    text = planted["html"]
    assert XSS not in text and "&lt;script&gt;document.title=&#39;pwned&#39;&lt;/script&gt;" in text
    assert "ab" * 32 not in text
    assert "X-Amz-Signature" not in text
    md = planted["md"]
    assert XSS not in md and "&lt;script&gt;" in md
    assert "## CRITICAL: Used after the signing instance ended (2)" in md
    assert planted["truth"]["u1"]["akid"] in md


@pytest.mark.skipif(shutil.which("chromium") is None, reason="needs chromium (tools/install-deps installs it)")
def test_the_report_opens_in_a_real_browser(planted, tmp_path):
    url = "file://" + str(planted["path"])
    base = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=" + str(tmp_path / "profile")]
    dom = subprocess.run(base + ["--dump-dom", url], capture_output=True, timeout=120).stdout.decode()
    page = parse(dom)
    # What the browser built: no script ran (the title is the report's), markup is text.
    assert "<title>sigtrail report" in dom and "pwned" not in dom.split("</title>")[0]
    assert page.scripts == 0 and "<img src" not in dom
    assert len(page.svgs) == sum(len(v) for v in page.stories.values()) > 10
    for svg in page.svgs:
        assert int(svg["data-marks"]) == svg["drawn"]
    shot = tmp_path / "report.png"
    subprocess.run(base + ["--screenshot=" + str(shot), "--window-size=1200,2000", url], capture_output=True,
                   timeout=120)
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 50_000


def test_long_stories_are_binned_and_the_file_stays_small(tmp_path):
    """100,000 uses of one URL from outside: the timeline draws bins, the file stays under 5 MB."""
    logs = tmp_path / "logs"
    logs.mkdir()
    q = ("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIABINBINBINBINBIN0%2F20240301%2Fus-east-1%2Fs3"
         "%2Faws4_request&X-Amz-Date=20240301T000000Z&X-Amz-Expires=604800&X-Amz-SignedHeaders=host"
         "&X-Amz-Signature=" + "cd" * 32)
    with open(logs / "2024-03-01-00-00-00-BINBINBINBINBINB", "w") as f:
        for i in range(100_000):
            m, s = divmod(i % 3600, 60)
            f.write('79a5 data-bkt [01/Mar/2024:%02d:%02d:%02d +0000] 198.51.100.%d - REQ%013d REST.GET.OBJECT k '
                    '"GET /data-bkt/k?%s HTTP/1.1" %s - 10 10 1 1 "-" "curl/8" - aGk= SigV4 '
                    'ECDHE-RSA-AES128-GCM-SHA256 QueryString data-bkt.s3.amazonaws.com TLSv1.2\n'
                    % (i // 3600 % 24, m, s, i % 5, i, q, "403" if i % 10 == 0 else "200"))
    out = tmp_path / "out"
    sigtrail("index", logs, "--out", out, "--quiet", ok=(0,))
    report = tmp_path / "r.html"
    sigtrail("report", out, "--html", report, "--allow", "10.0.0.0/8", ok=(0,))
    assert report.stat().st_size < 5_000_000
    page = parse(report.read_text())
    [story] = page.stories["outside"]
    assert story["svg"]["data-uses"] == "100000"
    assert 0 < story["svg"]["drawn"] == int(story["svg"]["data-marks"]) <= 5 * 120
    assert len(story["ids"]) == 100
