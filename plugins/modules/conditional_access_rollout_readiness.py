#!/usr/bin/python
# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
module: conditional_access_rollout_readiness
short_description: What report-only Conditional Access policies saw in the sign-in logs, before they are enforced
version_added: 0.1.0
description:
  - Reads the Microsoft Entra sign-in logs of a time window (C(GET /auditLogs/signIns), filtered by
    C(createdDateTime)) and, for each report-only policy, counts the results Entra recorded for it
    (C(reportOnlySuccess), C(reportOnlyFailure), C(reportOnlyInterrupted), C(reportOnlyNotApplied)) and lists the
    users whose sign-ins would have failed or been interrupted had the policy been enforced, by application, client
    app type and platform; and the users in the policy's scope who did not sign in at all in the window.
  - Nothing is written. The logs are read a page at a time and summarised as they arrive; memory does not grow with
    the number of sign-ins.
  - 'As a gate: with O(stage_moves) only the policies whose rollout stage moves out of report-only are read
    (report-only to C(pilot) when the pilot copy does not exist yet, report-only or pilot to C(enforced)); with
    O(fail_on_failures) the task fails, naming the people, when their evidence shows failures of users outside
    O(accepted_users), unless O(acknowledge_failures).'
author:
  - TenantGuard contributors (@tenantguard)
options:
  policies:
    description:
      - The report-only policies to summarise, by display name or id. By default every report-only policy of the
        tenant.
      - Mutually exclusive with O(stage_moves).
    type: list
    elements: str
  stage_moves:
    description:
      - The rollout stage each policy is declared at (the C(conditional_access) role passes its plan). Only the
        policies that are report-only in the tenant and move to C(pilot) (no pilot copy yet) or to C(enforced) are
        summarised; nothing is read from the sign-in logs when none moves.
    type: list
    elements: dict
    suboptions:
      display_name:
        description: The policy's display name.
        type: str
        required: true
      rollout:
        description: The declared rollout stage.
        type: str
        required: true
        choices: [report_only, pilot, enforced, disabled]
  pilot_suffix:
    description: The suffix of the enforced pilot copy of a policy in the C(pilot) stage (as the role names it).
    type: str
    default: ' (pilot)'
  window_days:
    description: How many days of sign-ins to read, up to O(window_end). Entra ID keeps sign-ins 30 days.
    type: int
    default: 7
  window_end:
    description: The end of the window, an ISO 8601 date-time. By default now.
    type: str
  accepted_users:
    description:
      - Users (user principal name or object id) whose failures are known and accepted; they do not hold a policy
        back. They are still listed, with C(accepted=true).
    type: list
    elements: str
    default: []
  fail_on_failures:
    description: Fail the task, naming the people, when a summarised policy has failures of users outside O(accepted_users).
    type: bool
    default: false
  acknowledge_failures:
    description: With O(fail_on_failures), go on anyway (a warning names the people).
    type: bool
    default: false
  max_users_listed:
    description: At most this many users not seen are listed per policy (all are counted).
    type: int
    default: 500
extends_documentation_fragment:
  - tenantguard.m365.connection
  - tenantguard.m365.attributes.actiongroup_m365
  - tenantguard.m365.attributes.info_module
notes:
  - 'Needs the application permission C(AuditLog.Read.All) for the sign-in logs, and C(Policy.Read.All) to read the
    policies and the C(appliedConditionalAccessPolicies) of each sign-in (learn.microsoft.com/graph/api/signin-list);
    C(User.Read.All) and C(GroupMember.Read.All) (or C(Directory.Read.All)) for the users in scope. Reading sign-in
    logs through Graph needs a Microsoft Entra ID P1 or P2 licence in the tenant.'
  - Users in scope are those included by id, by group (transitive members) or as C(All), less those excluded by id
    or group; users reached only through directory roles or as guests are not expanded.
'''

EXAMPLES = r'''
- name: What the report-only policies saw over the last 14 days
  tenantguard.m365.conditional_access_rollout_readiness:
    window_days: 14
  register: readiness

- name: Refuse to enforce a policy that would block people who are not on the accepted list
  tenantguard.m365.conditional_access_rollout_readiness:
    stage_moves:
      - display_name: Require app protection for Outlook mobile
        rollout: enforced
    accepted_users: [kiosk01@contoso.com]
    fail_on_failures: true
'''

RETURN = r'''
policies:
  description: One entry per summarised report-only policy.
  returned: always
  type: list
  elements: dict
  contains:
    id: {description: The policy id., type: str, returned: always}
    display_name: {description: The policy's display name., type: str, returned: always}
    state: {description: The policy's state in the tenant., type: str, returned: always}
    move:
      description: 'With O(stage_moves): C(report_only -> pilot), C(report_only -> enforced) or C(pilot -> enforced).'
      type: str
      returned: when stage_moves
    sign_ins: {description: Sign-ins in the window for which Entra recorded a report-only result of this policy., type: int, returned: always}
    result_counts:
      description: C(reportOnlySuccess), C(reportOnlyFailure), C(reportOnlyInterrupted), C(reportOnlyNotApplied) counts.
      type: dict
      returned: always
    failures:
      description:
        - Per user whose sign-ins would have failed or been interrupted, most sign-ins first; C(result) is C(failure)
          if any would have failed, else C(interrupted).
        - Each has C(user_id), C(user_principal_name), C(user_display_name), C(result), C(sign_ins),
          C(failed_sign_ins), C(interrupted_sign_ins), C(applications), C(client_app_types), C(platforms),
          C(last_sign_in) and C(accepted).
      type: list
      elements: dict
      returned: always
    blocking_failures: {description: The failures of users outside O(accepted_users)., type: list, elements: dict, returned: always}
    users_not_seen:
      description:
        - Users in the policy's scope with no sign-in in the window (C(id), C(user_principal_name), C(display_name)),
          at most O(max_users_listed), in order of user principal name.
      type: list
      elements: dict
      returned: always
    users_not_seen_count: {description: How many users in scope were not seen., type: int, returned: always}
    verdict:
      description:
        - C(ready), C(ready_with_accepted_failures), C(not_ready) (failures outside the accepted list) or
          C(no_evidence) (no sign-in recorded a result).
      type: str
      returned: always
window:
  description: C(start) and C(end) of the window read (UTC).
  type: dict
  returned: always
sign_ins_read: {description: Sign-ins read in the window., type: int, returned: always}
pages: {description: Pages of sign-ins read (one request each)., type: int, returned: always}
evidence: {description: The evidence as lines a person reads (the role shows them with --diff)., type: str, returned: always}
refused:
  description: The policies that O(fail_on_failures) holds back (with O(acknowledge_failures) the task goes on).
  type: list
  elements: str
  returned: always
'''

from ansible_collections.tenantguard.m365.plugins.module_utils._base.errors import ConfigError
from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.directory import (
    Directory,
    policy_scope,
)
from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.readiness import (
    REPORT_ONLY,
    Summary,
    describe_refusal,
    evidence_text,
    is_accepted,
    prefetched,
    sign_in_filter,
    stamp,
    verdict,
    window,
)
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.module import TenantGuardModule

USER_FIELDS = "id,userPrincipalName,displayName"


def _select(policies, names, module):
    if not names:
        return [p for p in policies if p.get("state") == REPORT_ONLY]
    chosen = []
    for name in names:
        found = [p for p in policies if p.get("id") == name or str(p.get("displayName", "")).lower() == name.lower()]
        if not found:
            raise ConfigError("policies", "names no policy of the tenant", value=name,
                              accepted="the display name or id of a Conditional Access policy", kind="Option")
        if len(found) > 1:
            raise ConfigError("policies", "matches %d policies (%s)" % (len(found), ", ".join(p["id"] for p in found)),
                              value=name, accepted="an id, or a display name that only one policy has",
                              kind="Option")
        if found[0].get("state") != REPORT_ONLY:
            module.warn("Policy '%s' is %s, not report-only: its sign-ins carry no report-only results."
                        % (found[0].get("displayName"), found[0].get("state")))
        chosen.append(found[0])
    return chosen


def _moving(policies, moves, suffix):
    by_name = {}
    for policy in policies:
        by_name.setdefault(str(policy.get("displayName", "")).lower(), []).append(policy)
    chosen = []
    for move in moves:
        name = move["display_name"]
        current = [p for p in by_name.get(name.lower(), []) if p.get("state") == REPORT_ONLY]
        if len(current) != 1 or move["rollout"] not in ("pilot", "enforced"):
            continue  # a new policy (created report-only), or one that is not report-only today: no move to gate
        has_copy = bool(by_name.get((name + suffix).lower()))
        if move["rollout"] == "pilot" and has_copy:
            continue  # already in pilot
        policy = dict(current[0])
        policy["move"] = "%s -> %s" % ("pilot" if has_copy else "report_only", move["rollout"])
        chosen.append(policy)
    return chosen


def _not_seen(directory, policy, seen, limit):
    """The users in the policy's scope with no sign-in of the window: at most ``limit`` of them, by user principal
    name, and how many there are. Roles and guests are not expanded; the users the policy names by id are read only
    when not seen."""
    missing = policy_scope(policy, directory, roles=False, guests=False, read_named=False) - seen
    directory.load(missing)

    people = [directory.users.get(key) or {"id": key} for key in missing]
    people.sort(key=lambda u: (str(u.get("userPrincipalName") or u["id"]).lower(), str(u["id"]).lower()))
    return [{"id": u["id"], "user_principal_name": u.get("userPrincipalName"), "display_name": u.get("displayName")}
            for u in people[:limit]], len(people)


def run(module):
    params = module.params
    if params["policies"] and params["stage_moves"]:
        raise ConfigError("policies", "cannot be given with stage_moves", accepted="one of policies, stage_moves",
                          kind="Option")
    if params["max_users_listed"] < 0:
        raise ConfigError("max_users_listed", "is negative", value=params["max_users_listed"],
                          accepted="0 or more", kind="Option")
    start, end = window(params["window_days"], params["window_end"])
    accepted = {str(u).strip().lower() for u in params["accepted_users"]}
    graph = module.graph
    policies = list(graph.list("/identity/conditionalAccess/policies"))
    if params["stage_moves"] is not None:
        tracked = _moving(policies, params["stage_moves"], params["pilot_suffix"])
    else:
        tracked = _select(policies, params["policies"], module)
    summary = Summary(tracked)
    if tracked:
        for page in prefetched(graph.pages("/auditLogs/signIns", query={"$filter": sign_in_filter(start, end)})):
            body = page.json if isinstance(page.json, dict) else {}
            summary.add_page(body.get("value") or [])
    directory = Directory(graph, USER_FIELDS)
    rows = []
    for policy in tracked:
        pid = policy["id"]
        failures = summary.failures_of(pid)
        for failure in failures:
            failure["accepted"] = is_accepted(failure, accepted)
        not_seen, not_seen_count = _not_seen(directory, policy, summary.seen, params["max_users_listed"])
        row = {"id": pid, "display_name": policy.get("displayName"), "state": policy.get("state"),
               "sign_ins": summary.sign_ins[pid], "result_counts": summary.counts[pid], "failures": failures,
               "blocking_failures": [f for f in failures if not f["accepted"]],
               "users_not_seen": not_seen, "users_not_seen_count": not_seen_count}
        if "move" in policy:
            row["move"] = policy["move"]
        row["verdict"] = verdict(row)
        rows.append(row)
    report = {"changed": False, "policies": rows, "window": {"start": stamp(start), "end": stamp(end)},
              "sign_ins_read": summary.read, "pages": summary.pages, "refused": []}
    held = [row for row in rows if row["verdict"] == "not_ready"]
    for row in rows:
        if row["verdict"] == "no_evidence" and params["fail_on_failures"]:
            module.warn("No sign-in in %s .. %s recorded a report-only result of '%s': there is no evidence for "
                        "this move." % (stamp(start), stamp(end), row["display_name"]))
    report["evidence"] = evidence_text(report)
    if held and params["fail_on_failures"]:
        report["refused"] = [row["display_name"] for row in held]
        message = ("The report-only sign-ins of %s .. %s show people whom enforcing would block or interrupt, "
                   "outside the accepted users: %s." % (stamp(start), stamp(end), describe_refusal(held)))
        if not params["acknowledge_failures"]:
            module.fail_json(msg=message + " Nothing was changed. Accept them (accepted_users), wait until their "
                                           "sign-ins succeed, or acknowledge the failures.", **report)
        module.warn(message + " Going on: the failures are acknowledged.")
    return report


def main():
    module = TenantGuardModule(
        argument_spec=dict(
            policies=dict(type="list", elements="str"),
            stage_moves=dict(type="list", elements="dict", options=dict(
                display_name=dict(type="str", required=True),
                rollout=dict(type="str", required=True, choices=["report_only", "pilot", "enforced", "disabled"]),
            )),
            pilot_suffix=dict(type="str", default=" (pilot)"),
            window_days=dict(type="int", default=7),
            window_end=dict(type="str"),
            accepted_users=dict(type="list", elements="str", default=[]),
            fail_on_failures=dict(type="bool", default=False),
            acknowledge_failures=dict(type="bool", default=False),
            max_users_listed=dict(type="int", default=500),
        ),
        supports_check_mode=True,
    )
    module.run(run)


if __name__ == "__main__":
    main()
