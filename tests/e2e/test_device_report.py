"""playbooks/audit_devices.yml (role device_report) against the sandbox: the CSV, JSON, summary and
HTML files exist, hold what mobile_device_info returns, and the HTML renders in headless Chromium."""

import csv
import html
import json
import os
import re
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CONTOSO = json.loads((REPO / "sandbox" / "seeds" / "contoso.json").read_text(encoding="utf-8"))
ARTEFACTS = REPO / "tests" / "output" / "artefacts"


@pytest.fixture
def sandbox_seed():
    return CONTOSO


def _chromium():
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def test_audit_devices_writes_what_the_inventory_holds(run_playbook, tmp_path):
    report = tmp_path / "report"
    run = run_playbook(REPO / "playbooks" / "audit_devices.yml",
                       extra_vars={"device_report_dir": str(report), "device_report_title": "Contoso <phones>"})
    assert run.rc == 0 and run.recap["failed"] == 0, run
    inventory = run_playbook("mobile_device_info.yml", extra_vars={"queries": [{"source": "all"}]}).output("devices")[0]
    for name in ("devices.json", "devices.csv", "summary.json", "report.html"):
        path = report / name
        assert path.is_file(), name
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, name
    assert stat.S_IMODE(os.stat(report).st_mode) == 0o700

    records = json.loads((report / "devices.json").read_text())
    # 8 Exchange rows (5 joined to a phone), 4 Intune devices, 5 phones of app registrations (3 on Intune devices)
    assert records == inventory["devices"] and len(records) == 9

    rows = list(csv.DictReader((report / "devices.csv").open(newline="", encoding="utf-8")))
    assert [r["device_name"] for r in rows] == [r["device_name"] for r in records]
    assert [r["exchange.DeviceId"] for r in rows] == [(r["exchange"] or {}).get("DeviceId") or "" for r in records]
    assert [r["sources"] for r in rows] == [" ".join(r["sources"]) for r in records]

    summary = json.loads((report / "summary.json").read_text())
    assert summary["count"] == 9 and summary["summary"] == inventory["summary"]

    page = (report / "report.html").read_text()
    assert "<title>Contoso &lt;phones&gt;</title>" in page  # escaped, not markup
    assert re.search(r'id="total"><div class="value">9<', page)
    # the tenant and the time it was made; the client types in words
    tenant = page.split('id="tenant"', 1)[1].split("</p>", 1)[0]
    assert "7d0b5c3e-4a7f-4f6e-9c1d-2b8e5a9f3c61" in tenant and re.search(r'datetime="20\d\d-\d\d-\d\dT', tenant)
    words = page.split('id="client-types"', 1)[1].split("</section>", 1)[0]
    assert "<dt>REST</dt>" in words and "<dt>Outlook</dt>" in words and "Exchange ActiveSync" in words
    # the phones, by user name, each once
    phones = page.split('id="phones"', 1)[1].split("</section>", 1)[0]
    assert phones.count("<tr><td>") == 9
    for name in ("Adele Vance", "Grady Archie", "Megan Bowen", "Diego Siciliani", "Alex Wilber"):
        assert "<tr><td>%s</td>" % name in phones, name
    assert "Native mail app (Exchange ActiveSync)" in phones and "Outlook for iOS and Android (REST API)" in phones
    # Outlook users without an applied app protection policy, by name
    unprotected = page.split('id="unprotected"', 1)[1].split("</section>", 1)[0]
    assert re.findall(r"<tr><td>([^<]+)</td><td>([^<]*)</td>", unprotected) == [
        ("megan@contoso.onmicrosoft.com", "Megan Bowen"), ("patti@contoso.onmicrosoft.com", "Patti Fernandez")]
    assert "Outlook and Teams protection (iOS)" in unprotected
    assert re.search(r'id="unprotected-count"><div class="value">2<', page)
    for user in inventory["summary"]["eas_only_users"]:
        assert "<td>%s</td><td>%s</td>" % (user["user"], html.escape(user["display_name"])) in page
    assert [u["user"] for u in inventory["summary"]["eas_only_users"]] == ["alex", "lee", "nestor"]
    for section, counts in (("by-client-type", inventory["summary"]["by_client_type"]),
                            ("by-os", inventory["summary"]["by_os"])):
        block = page.split('id="%s"' % section, 1)[1].split("</section>", 1)[0]
        shown = dict(re.findall(r'<th scope="row">([^<]+)</th>.*?<td class="num">(\d+)</td>', block, re.S))
        assert dict((html.unescape(k), int(v)) for k, v in shown.items()) == counts
        assert "width: 100.0%" in block
    # phones by ownership and enrolment, each group counting what the inventory counts, with compliance and reasons
    enrolment = page.split('id="enrolment"', 1)[1].split('<section id="phones"', 1)[0]
    groups = dict(re.findall(r'id="enrolment-([a-z-]+)">\s*<h3>[^<]*<span class="num">\((\d+)\)</span>', enrolment))
    assert dict((k.replace("-", "_"), int(v)) for k, v in groups.items()) == inventory["summary"]["by_enrollment"]
    assert {"android-personal-work-profile", "android-fully-managed", "ios-personal", "ios-corporate", "mam-only",
            "unmanaged"} <= set(groups)
    # written by hand from the seed: Megan's corporate iPhone has no passcode; Grady's work profile phone runs an
    # old Android without encryption and is in its grace period
    corporate = enrolment.split('id="enrolment-ios-corporate"', 1)[1].split("</section>", 1)[0]
    assert re.search(r"<td>Megan Bowen</td>.*<td>company</td><td class=\"missing\">noncompliant</td>"
                     r"<td>Contoso iOS compliance</td><td>Passcode required</td>", corporate)
    work_profile = enrolment.split('id="enrolment-android-personal-work-profile"', 1)[1].split("</section>", 1)[0]
    assert re.search(r"<td>Grady Archie</td>.*<td>personal</td><td class=\"missing\">inGracePeriod</td>"
                     r"<td>Contoso Android work profile compliance</td>"
                     r"<td>OS minimum version; Storage require encryption</td><td>2026-11-23T07:00:00Z</td>",
                     work_profile)
    managed = enrolment.split('id="enrolment-android-fully-managed"', 1)[1].split("</section>", 1)[0]
    assert "<td>company</td><td>compliant</td><td>Contoso Android fully managed compliance</td><td></td>" in managed
    compliance = page.split('id="by-compliance"', 1)[1].split("</section>", 1)[0]
    assert dict(re.findall(r'<th scope="row">([^<]+)</th>.*?<td class="num">(\d+)</td>', compliance, re.S)) == {
        "compliant": "2", "noncompliant": "1", "inGracePeriod": "1"}
    assert "http://" not in page and "https://" not in page and "<script" not in page

    # A second run replaces the files and stays idempotent in what it writes.
    again = run_playbook(REPO / "playbooks" / "audit_devices.yml",
                         extra_vars={"device_report_dir": str(report), "device_report_title": "Contoso <phones>"})
    assert again.rc == 0 and json.loads((report / "devices.json").read_text()) == records


@pytest.mark.skipif(_chromium() is None, reason="headless Chromium is not installed (Debian package 'chromium')")
def test_report_renders_in_headless_chromium(run_playbook, tmp_path):
    report = tmp_path / "report"
    run = run_playbook(REPO / "playbooks" / "audit_devices.yml", extra_vars={"device_report_dir": str(report)})
    assert run.rc == 0, run
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTEFACTS / "device_report.png"
    if shot.exists():
        shot.unlink()
    base = [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
            "--user-data-dir=%s" % (tmp_path / "chromium")]
    url = (report / "report.html").as_uri()
    done = subprocess.run(base + ["--screenshot=%s" % shot, "--window-size=1280,1400", url],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0 and shot.is_file() and shot.stat().st_size > 10000, done.stderr[-2000:]
    dom = subprocess.run(base + ["--dump-dom", url], capture_output=True, text=True, timeout=120, check=False)
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert 'id="eas-only"' in dom.stdout and "Alex Wilber" in dom.stdout and "By client type" in dom.stdout
    assert 'id="unprotected"' in dom.stdout and "Patti Fernandez" in dom.stdout and 'id="phones"' in dom.stdout
    assert "Native mail app (Exchange ActiveSync)" in dom.stdout
    assert 'id="enrolment"' in dom.stdout and "Android personal phones with a work profile" in dom.stdout
    assert "Passcode required" in dom.stdout and 'id="by-compliance"' in dom.stdout
