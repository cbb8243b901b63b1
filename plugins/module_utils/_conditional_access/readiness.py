# -*- coding: utf-8 -*-
# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: what report-only Conditional Access policies saw in the sign-in logs, summarised page by page.

Graph (learn.microsoft.com/graph/api/signin-list, /resources/signin, /resources/appliedconditionalaccesspolicy):
``GET /auditLogs/signIns`` returns the most recent sign-ins first, at most 1,000 a page, filterable by
``createdDateTime`` (``ge``/``le``); each entry lists, per policy that was evaluated,
``appliedConditionalAccessPolicies[].result``: ``reportOnlySuccess``, ``reportOnlyFailure``,
``reportOnlyInterrupted`` or ``reportOnlyNotApplied`` for a report-only policy. A sign-in that
``reportOnlyFailure`` or ``reportOnlyInterrupted`` names is one that enforcing the policy would have blocked or
interrupted (for example with an MFA prompt).

Memory: one page at a time; what is kept grows with users and policies, not with sign-ins.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import threading

from ansible_collections.tenantguard.m365.plugins.module_utils._base.errors import ConfigError

REPORT_ONLY = "enabledForReportingButNotEnforced"
RESULTS = ("reportOnlySuccess", "reportOnlyFailure", "reportOnlyInterrupted", "reportOnlyNotApplied")
FAILING = {"reportOnlyFailure": "failure", "reportOnlyInterrupted": "interrupted"}
PLATFORMS = {"ios": "iOS", "ipados": "iOS", "android": "android", "windows": "windows", "macos": "macOS",
             "mac": "macOS", "linux": "linux"}
MAX_WINDOW_DAYS = 30  # Entra ID keeps sign-ins 30 days with P1/P2 (Microsoft Entra data retention)


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)


def parse_moment(option, text):
    """An ISO 8601 date-time option -> aware UTC datetime, else one clear error naming the option."""
    value = str(text).strip()
    try:
        if value.endswith(("Z", "z")):
            value = value[:-1] + "+00:00"
        if len(value) == 10:
            value += "T00:00:00+00:00"
        moment = datetime.datetime.fromisoformat(value)
    except ValueError:
        raise ConfigError(option, "is not an ISO 8601 date-time", value=text,
                          accepted="a date-time such as 2026-12-06T00:00:00Z", kind="Option") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment.astimezone(datetime.timezone.utc)


def stamp(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def window(window_days, window_end=None):
    if not isinstance(window_days, int) or not 1 <= window_days <= MAX_WINDOW_DAYS:
        raise ConfigError("window_days", "is outside the sign-in log retention", value=window_days,
                          accepted="a whole number of days from 1 to %d" % MAX_WINDOW_DAYS, kind="Option")
    end = parse_moment("window_end", window_end) if window_end else utc_now()
    return end - datetime.timedelta(days=window_days), end


def sign_in_filter(start, end):
    """The documented ``$filter`` of a time window (createdDateTime supports ge and le)."""
    return "createdDateTime ge %s and createdDateTime le %s" % (stamp(start), stamp(end))


def prefetched(pages):
    """The items of ``pages`` (an iterator), the next one fetched in a thread while the caller works on the current
    one: the service makes page n+1 while page n is summarised. At most two pages are held; an error of the fetch is
    raised where the page would have come."""
    slot = {}
    lock = threading.Condition()

    def fetch():
        try:
            for page in pages:
                with lock:
                    while "page" in slot and not slot.get("stop"):
                        lock.wait()
                    if slot.get("stop"):
                        return
                    slot["page"] = page
                    lock.notify_all()
        except BaseException as exc:  # pylint: disable=broad-except
            # re-raised in the caller's thread
            with lock:
                slot["error"] = exc
                lock.notify_all()
            return
        with lock:
            slot["done"] = True
            lock.notify_all()

    worker = threading.Thread(target=fetch, name="sign-in-pages", daemon=True)
    worker.start()
    try:
        while True:
            with lock:
                while "page" not in slot and "error" not in slot and "done" not in slot:
                    lock.wait()
                if "page" in slot:
                    page = slot.pop("page")
                    lock.notify_all()
                elif "error" in slot:
                    raise slot["error"]
                else:
                    return
            yield page
    finally:
        with lock:
            slot["stop"] = True
            lock.notify_all()


def platform_of(sign_in):
    detail = sign_in.get("deviceDetail") or {}
    text = str(detail.get("operatingSystem") or "").strip()
    if not text:
        return "unknown"
    head = text.split()[0].lower()
    return PLATFORMS.get(head, text.split()[0])


class Summary:
    """Per tracked policy: counts of report-only results, and per user the sign-ins that would have failed."""

    def __init__(self, policies):
        self.policies = {p["id"]: p for p in policies}
        self.counts = {pid: dict.fromkeys(RESULTS, 0) for pid in self.policies}
        self.sign_ins = dict.fromkeys(self.policies, 0)
        self.failures = {pid: {} for pid in self.policies}
        self.seen = set()
        self.read = 0
        self.pages = 0

    def add_page(self, items):
        self.pages += 1
        tracked = self.policies
        for sign_in in items:
            self.read += 1
            user_id = sign_in.get("userId")
            if user_id:
                self.seen.add(user_id.lower())
            for applied in sign_in.get("appliedConditionalAccessPolicies") or ():
                pid = applied.get("id")
                if pid not in tracked:
                    continue
                result = applied.get("result")
                counts = self.counts[pid]
                if result in counts:
                    counts[result] += 1
                    self.sign_ins[pid] += 1
                failing = FAILING.get(result)
                if failing is None:
                    continue
                key = (user_id or sign_in.get("userPrincipalName") or "").lower()
                entry = self.failures[pid].get(key)
                if entry is None:
                    entry = self.failures[pid][key] = {
                        "user_id": user_id, "user_principal_name": sign_in.get("userPrincipalName"),
                        "user_display_name": sign_in.get("userDisplayName"), "result": failing,
                        "sign_ins": 0, "failed_sign_ins": 0, "interrupted_sign_ins": 0,
                        "applications": set(), "client_app_types": set(), "platforms": set(),
                        "last_sign_in": sign_in.get("createdDateTime")}
                entry["sign_ins"] += 1
                entry[failing + "_sign_ins" if failing == "interrupted" else "failed_sign_ins"] += 1
                if failing == "failure":
                    entry["result"] = "failure"
                entry["applications"].add(sign_in.get("appDisplayName") or sign_in.get("appId") or "unknown")
                entry["client_app_types"].add(sign_in.get("clientAppUsed") or "unknown")
                entry["platforms"].add(platform_of(sign_in))

    def failures_of(self, pid):
        out = []
        for entry in self.failures[pid].values():
            row = dict(entry)
            for name in ("applications", "client_app_types", "platforms"):
                row[name] = sorted(row[name])
            out.append(row)
        out.sort(key=lambda r: (-r["sign_ins"], str(r["user_principal_name"] or r["user_id"]).lower()))
        return out


def is_accepted(row, accepted):
    return bool({str(row.get("user_id") or "").lower(), str(row.get("user_principal_name") or "").lower()}
                & accepted)


def verdict(policy_row):
    if policy_row["blocking_failures"]:
        return "not_ready"
    if policy_row["failures"]:
        return "ready_with_accepted_failures"
    if not policy_row["sign_ins"]:
        return "no_evidence"
    return "ready"


def describe_refusal(rows):
    """One sentence per policy that the evidence holds back, naming the people."""
    parts = []
    for row in rows:
        people = ", ".join("%s (%s: %d sign-in%s; %s; %s; %s)" % (
            f["user_principal_name"] or f["user_id"], f["result"], f["sign_ins"], "" if f["sign_ins"] == 1 else "s",
            "/".join(f["applications"]), "/".join(f["client_app_types"]), "/".join(f["platforms"]))
            for f in row["blocking_failures"])
        parts.append("'%s': %s" % (row["display_name"], people))
    return "; ".join(parts)


def evidence_text(report):
    """The evidence as lines a person reads in --diff."""
    lines = ["sign-ins %s .. %s: %d read in %d page(s)" % (
        report["window"]["start"], report["window"]["end"], report["sign_ins_read"], report["pages"])]
    for row in report["policies"]:
        counts = row["result_counts"]
        lines.append("%s (%s): %d sign-ins, %d would fail, %d interrupted, %d success, %d not applied; verdict %s"
                     % (row["display_name"], row.get("move") or row["state"], row["sign_ins"],
                        counts["reportOnlyFailure"], counts["reportOnlyInterrupted"], counts["reportOnlySuccess"],
                        counts["reportOnlyNotApplied"], row["verdict"]))
        for failure in row["failures"]:
            lines.append("  %s %s: %s, %d sign-in(s) via %s, %s, %s%s" % (
                failure["result"], failure["user_principal_name"] or failure["user_id"],
                failure["user_display_name"] or "", failure["sign_ins"], "/".join(failure["applications"]),
                "/".join(failure["client_app_types"]), "/".join(failure["platforms"]),
                " (accepted)" if failure.get("accepted") else ""))
        if row["users_not_seen_count"]:
            lines.append("  %d user(s) in scope not seen signing in" % row["users_not_seen_count"])
    return "\n".join(lines) + "\n"
