"""playbooks/posture_report.yml (role posture_report) against the contoso tenant with a planted gap: the Mobile
Pilot group is sent to app protection on iOS and Android by conditional access, but only iOS has an app protection
policy. The HTML page is opened in headless Chromium at a laptop and a phone size: it loads without errors, fetches
nothing, does not scroll sideways on the phone, and shows the figures of posture.json, which are checked against
the seed (tests/e2e/data/posture_report_seed.json on top of sandbox/seeds/contoso.json)."""

import collections
import html
import html.parser
import json
import os
import re
import shutil
import stat
import subprocess
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parent / "data"
ARTIFACTS = REPO / "tests" / "output" / "artifacts"
PLAYBOOK = REPO / "playbooks" / "posture_report.yml"
COMPLIANT_APPLICATION = "compliantApplication"
ROLLOUT = {"enabled": "enabled", "enabledForReportingButNotEnforced": "report-only", "disabled": "disabled"}
LAPTOP = (1366, 900)
PHONE = (390, 844)


def _seed():
    seed = json.loads((REPO / "sandbox" / "seeds" / "contoso.json").read_text(encoding="utf-8"))
    for collection, objects in json.loads((DATA / "posture_report_seed.json").read_text(encoding="utf-8")).items():
        seed[collection] = seed.get(collection, []) + objects
    return seed


SEED = _seed()


@pytest.fixture
def sandbox_seed():
    return SEED


def ignored(run):
    """How many failed tasks the run went on after (the recap's ignored=)."""
    found = re.search(r"^localhost\s*:.*\signored=(\d+)", run.stdout, re.MULTILINE)
    assert found, run
    return int(found.group(1))


def chromium():
    """Debian's chromium. CI installs it (scripts/setup.sh as root), so there its absence is a failure."""
    path = shutil.which("chromium") or ("/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else None)
    if path is None:
        message = "headless Chromium is needed to look at the posture report: install Debian's 'chromium' package"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def browse(tmp_path, url, *args):
    """Run headless Chromium once; returns (stdout, console and error lines of its log)."""
    cmd = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
           "--user-data-dir=%s" % (tmp_path / "chromium-profile"), "--enable-logging=stderr", "--v=0"]
    done = subprocess.run(cmd + list(args) + [url], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    problems = [line for line in done.stderr.splitlines()
                if "CONSOLE" in line or "Uncaught" in line or "Refused to" in line or "net::ERR" in line]
    return done.stdout, problems


class Page(html.parser.HTMLParser):
    """Every tag with its attributes, and the text below each element id."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.tags = []
        self.text = collections.defaultdict(str)
        self._open = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if tag not in ("br", "meta", "link", "img", "input", "rect"):
            self._open.append(attrs.get("id"))

    def handle_endtag(self, tag):
        if tag not in ("br", "meta", "link", "img", "input", "rect") and self._open:
            self._open.pop()

    def handle_data(self, data):
        for element_id in self._open:
            if element_id:
                self.text[element_id] += " " + data

    def words(self, element_id):
        return " ".join(self.text[element_id].split())

    def tile(self, element_id):
        return int(self.words(element_id).split()[0])

    def bars(self, chart_id):
        """{label: value} of an SVG bar chart, from the bars' data attributes (below the chart's figure)."""
        inside, out = False, {}
        for tag, attrs in self.tags:
            if tag == "figure":
                inside = attrs.get("id") == chart_id
            elif inside and tag == "g" and "data-label" in attrs:
                out[attrs["data-label"]] = int(attrs["data-value"])
        return out


def expected_from_seed():
    policies = SEED["conditionalAccessPolicies"]
    states = collections.Counter(ROLLOUT[p["state"]] for p in policies)
    retired = sorted(p["displayName"] for p in policies
                     if "approvedApplication" in (p.get("grantControls") or {}).get("builtInControls", []))
    groups = dict((g["id"], g["displayName"]) for g in SEED["groups"])
    protected = collections.defaultdict(set)  # group id -> platforms with an app protection policy for it
    for platform, collection in (("ios", "iosManagedAppProtections"), ("android", "androidManagedAppProtections")):
        for protection in SEED.get(collection, []):
            for assignment in protection.get("assignments", []):
                protected[assignment["target"]["groupId"]].add(platform)
    gaps = []
    for p in policies:
        if COMPLIANT_APPLICATION not in (p.get("grantControls") or {}).get("builtInControls", []):
            continue
        platforms = [x.lower() for x in p["conditions"]["platforms"]["includePlatforms"]]
        for group in p["conditions"]["users"].get("includeGroups", []):
            gaps.extend((p["displayName"], platform, groups[group])
                        for platform in platforms if platform not in protected[group])
    client_types = collections.Counter(d["ClientType"] for d in SEED["exchangeMobileDevices"])
    return {"total": len(policies), "states": states, "retired": retired, "gaps": gaps, "client_types": client_types,
            "names": sorted(p["displayName"] for p in policies)}


def test_posture_report_shows_the_tenant_and_the_planted_gap(run_playbook, tmp_path):
    expected = expected_from_seed()
    assert expected["gaps"] and expected["retired"]  # the seed plants both
    report = tmp_path / "report"
    run = run_playbook(PLAYBOOK, extra_vars={"posture_report_dir": str(report)})
    assert run.rc == 0 and run.recap["failed"] == 0 and ignored(run) == 0, run
    assert stat.S_IMODE(os.stat(report).st_mode) == 0o700
    for name in ("posture.html", "posture.json", "devices.json"):
        assert stat.S_IMODE(os.stat(report / name).st_mode) == 0o600, name

    # posture.json: the figures, against the seed.
    data = json.loads((report / "posture.json").read_text())
    policies = data["policies"]
    assert policies["collected"] is True
    assert policies["counts"] == {"total": expected["total"], "enabled": expected["states"]["enabled"],
                                  "report_only": expected["states"]["report-only"],
                                  "disabled": expected["states"]["disabled"]}
    assert sorted(p["name"] for p in policies["items"]) == expected["names"]
    by_name = dict((p["name"], p) for p in policies["items"])
    pilot = by_name["Mobile: require app protection for Exchange Online"]
    assert pilot["users"] == {"include": ["group: Mobile Pilot"], "exclude": ["group: Emergency Access Accounts"]}
    assert pilot["applications"]["include"] == ["Exchange Online"] and pilot["rollout"] == "enabled"
    assert by_name["Sales: sign in every 8 hours on <unmanaged> devices"]["session"] == [
        "sign-in frequency: every 8 hours"]
    assert [p["name"] for p in data["retired_controls"]["items"]] == expected["retired"]
    assert all(p["controls"] == ["approvedApplication"] for p in data["retired_controls"]["items"])

    gaps = [(entry["conditional_access_policy"], gap["platform"], gap["group"])
            for entry in data["app_protection"]["coverage"] for gap in entry["gaps"]]
    assert gaps == expected["gaps"]
    assert data["app_protection"]["counts"]["gaps"] == len(expected["gaps"])

    devices = data["devices"]
    records = json.loads((report / "devices.json").read_text())
    assert devices["total"] == len(records) == sum(devices["by_os"].values())
    assert devices["by_client_type"] == dict(collections.Counter(r["client_type"] or "(none)" for r in records))
    assert devices["by_os"] == dict(collections.Counter(r["os"] for r in records))
    exchange_types = dict((k, v) for k, v in devices["by_client_type"].items() if k != "(none)")
    assert exchange_types == dict(expected["client_types"])  # one record per Exchange partnership
    assert data["scenarios"] == {"collected": False, "reason": "no scenarios were given (posture_report_scenarios)"}

    # The page as written: self-contained.
    page_text = (report / "posture.html").read_text()
    written = Page(page_text)
    assert "<script" not in page_text.lower() and "@import" not in page_text and "url(" not in page_text
    for tag, attrs in written.tags:
        for attribute in ("src", "href", "srcset", "poster", "data", "action"):
            value = attrs.get(attribute)
            if value is not None:
                assert not re.match(r"^\s*([a-z][a-z0-9+.-]*:|//)", value, re.I), (tag, attribute, value)
    assert "&lt;unmanaged&gt;" in page_text  # names are text, not markup

    # The page in Chromium: loads without a console error or a blocked fetch; the DOM shows the JSON's figures.
    url = (report / "posture.html").as_uri()
    started = time.monotonic()
    dom_text, problems = browse(tmp_path, url, "--dump-dom", "--window-size=%d,%d" % LAPTOP)
    render_seconds = time.monotonic() - started
    assert problems == [], problems
    dom = Page(dom_text)
    assert dom.tile("policies-total") == policies["counts"]["total"] == expected["total"]
    assert dom.tile("policies-enabled") == expected["states"]["enabled"]
    assert dom.tile("policies-report-only") == expected["states"]["report-only"]
    assert dom.tile("policies-disabled") == expected["states"]["disabled"]
    assert dom.tile("retired-count") == len(expected["retired"])
    assert dom.tile("app-protection-gaps") == len(expected["gaps"])
    assert dom.tile("devices-total") == devices["total"]
    assert dom.bars("by-client-type") == devices["by_client_type"]
    assert dom.bars("by-os") == devices["by_os"]
    rollouts = collections.Counter(attrs["data-rollout"] for tag, attrs in dom.tags if "data-rollout" in attrs)
    assert rollouts == expected["states"]
    coverage_text = dom.words("app-protection-coverage")
    for policy, platform, group in expected["gaps"]:
        assert "%s %s outlook %s no app protection policy" % (policy, platform, group) in coverage_text
    gap_rows = [attrs for tag, attrs in dom.tags if tag == "tr" and attrs.get("class") == "gap"]
    assert len(gap_rows) == len(expected["gaps"]) + len(expected["retired"])
    for name in expected["retired"]:
        assert name in dom.words("retired-controls")
    assert "Not collected: no scenarios were given" in dom.words("scenarios")

    # Laptop and phone: screenshots kept, and nothing but the tables' own boxes scrolls sideways on the phone.
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for label, (width, height) in (("laptop", LAPTOP), ("phone", PHONE)):
        shot = tmp_path / ("posture_report_%s.png" % label)
        _out, problems = browse(tmp_path, url, "--screenshot=%s" % shot, "--window-size=%d,%d" % (width, height))
        assert problems == [] and shot.is_file() and shot.stat().st_size > 10000, problems
        shutil.copyfile(shot, ARTIFACTS / shot.name)
        layout = measure_layout(tmp_path, page_text, width, height)
        assert layout["scroll_width"] <= layout["inner_width"] == width, (label, layout)
    print("posture.html %.1f KB, rendered in %.2f s" % (len(page_text.encode()) / 1024, render_seconds))


def measure_layout(tmp_path, page_text, width, height):
    """The page's layout width at a viewport size: the page is put, unchanged, into an iframe of that size (headless
    Chromium's window is never narrower than 500 pixels) and a script of the outer page measures it."""
    outer = tmp_path / ("layout-%d.html" % width)
    outer.write_text(
        "<!DOCTYPE html><html><body style=\"margin:0\"><iframe id=\"page\" style=\"border:0;width:%dpx;height:%dpx\" "
        "srcdoc=\"%s\"></iframe><script>window.addEventListener('load', function () {"
        "var frame = document.getElementById('page');"
        "document.body.setAttribute('data-layout', JSON.stringify({"
        "scroll_width: frame.contentDocument.documentElement.scrollWidth,"
        "inner_width: frame.contentWindow.innerWidth}));});</script></body></html>"
        % (width, height, html.escape(page_text, quote=True)))
    dom_text, problems = browse(tmp_path, outer.as_uri(), "--dump-dom", "--window-size=%d,%d" % (max(width, 500) + 40,
                                                                                                height))
    assert problems == [], problems
    found = re.search(r'data-layout="([^"]*)"', dom_text)
    assert found, "the layout measure did not run"
    return json.loads(html.unescape(found.group(1)))


def test_sections_left_out_or_failing_say_so_and_the_page_is_still_written(run_playbook, tmp_path):
    report = tmp_path / "report"
    run = run_playbook(PLAYBOOK, extra_vars={
        "posture_report_dir": str(report),
        "posture_report_sections": ["policies", "app_protection"],
        "posture_report_app_protection_for": ["No such policy"]})
    assert run.rc == 0 and run.recap["failed"] == 0 and ignored(run) == 1, run
    data = json.loads((report / "posture.json").read_text())
    assert data["policies"]["counts"]["total"] == len(SEED["conditionalAccessPolicies"])
    assert data["devices"] == {"collected": False, "reason": "left out of posture_report_sections"}
    assert data["app_protection"]["collected"] is False
    assert "coverage_for[0]" in data["app_protection"]["reason"] and "'No such policy'" in data["app_protection"]["reason"]
    assert not (report / "devices.json").exists()
    page = Page((report / "posture.html").read_text())
    assert page.words("devices") == "Devices Not collected: left out of posture_report_sections."
    assert "Not collected: the read failed:" in page.words("app-protection")
    assert "devices-total" not in page.text and "policies-total" in page.text

    strict = run_playbook(PLAYBOOK, extra_vars={
        "posture_report_dir": str(tmp_path / "strict"), "posture_report_sections": ["app_protection"],
        "posture_report_app_protection_for": ["No such policy"], "posture_report_continue_on_error": False})
    assert strict.rc != 0 and strict.recap["failed"] == 1, strict
    assert not (tmp_path / "strict" / "posture.html").exists()


def test_the_console_check_sees_errors_and_fetches(tmp_path):
    """The checks above can fail: a page with a script error and an external image is caught."""
    bad = tmp_path / "bad.html"
    bad.write_text("<!DOCTYPE html><html><head><meta http-equiv=\"Content-Security-Policy\" "
                   "content=\"default-src 'none'; script-src 'unsafe-inline'\"></head><body>"
                   "<img src=\"https://example.invalid/logo.png\"><script>notDefined();</script></body></html>")
    _dom, problems = browse(tmp_path, bad.as_uri(), "--dump-dom")
    text = "\n".join(problems)
    assert "notDefined" in text and "example.invalid" in text, problems
