"""Backups and rollback end to end: a change set (conditional access policies created, updated and
deleted; named locations deleted and updated; an app protection policy's settings and assignments
changed) is rolled back with playbooks/rollback.yml: check mode first (changed, nothing written),
then for real (read back equal to the state before the change set; the deleted objects created
again, the created one gone), then again (unchanged). The backup files are owner-only and hold no
secret."""
import json
import os
import stat

import pytest

import conftest
from conftest import REPO, SEED, settled

ROLLBACK = REPO / "playbooks" / "rollback.yml"

PILOT = "0b1e6a52-7d0c-4c1d-9e2f-0000000000a1"
SALES = "0b1e6a52-7d0c-4c1d-9e2f-0000000000a2"
EMERGENCY = "0b1e6a52-7d0c-4c1d-9e2f-0000000000a3"
OFFICE = "0b1e6a52-7d0c-4c1d-9e2f-0000000000b1"
BRANCH = "0b1e6a52-7d0c-4c1d-9e2f-0000000000b2"
UPDATED = "0b1e6a52-7d0c-4c1d-9e2f-0000000000c1"
DELETED = "0b1e6a52-7d0c-4c1d-9e2f-0000000000c2"
IOS = "T_0b1e6a52-7d0c-4c1d-9e2f-0000000000d1"

LOCATIONS = "/v1.0/identity/conditionalAccess/namedLocations"
POLICIES = "/v1.0/identity/conditionalAccess/policies"
PROTECTIONS = "/v1.0/deviceAppManagement/iosManagedAppProtections?$expand=apps,assignments"
SERVER_FIELDS = ("id", "createdDateTime", "modifiedDateTime", "lastModifiedDateTime", "deletedDateTime", "templateId",
                 "partialEnablementStrategy", "version", "isAssigned", "@odata.context")


@pytest.fixture
def sandbox_seed():
    return dict(
        users=SEED["users"],
        groups=[
            {"id": PILOT, "displayName": "Mobile Pilot", "securityEnabled": True, "mailEnabled": False,
             "mailNickname": "pilot"},
            {"id": SALES, "displayName": "Sales", "securityEnabled": True, "mailEnabled": False, "mailNickname": "sales"},
            # The break-glass accounts are members: an emergency group without an enabled member is refused.
            {"id": EMERGENCY, "displayName": "Emergency Access", "securityEnabled": True, "mailEnabled": False,
             "mailNickname": "emergency",
             "members": ["breakglass1@contoso.onmicrosoft.com", "breakglass2@contoso.onmicrosoft.com"]},
        ],
        namedLocations=[
            {"@odata.type": "#microsoft.graph.ipNamedLocation", "id": OFFICE, "displayName": "E2E office",
             "isTrusted": True,
             "ipRanges": [{"@odata.type": "#microsoft.graph.iPv4CidrRange", "cidrAddress": "198.51.100.0/24"}]},
            {"@odata.type": "#microsoft.graph.countryNamedLocation", "id": BRANCH, "displayName": "E2E branch",
             "countriesAndRegions": ["FR", "DE"], "includeUnknownCountriesAndRegions": False,
             "countryLookupMethod": "clientIpAddress"},
        ],
        conditionalAccessPolicies=[
            {"id": UPDATED, "displayName": "E2E updated policy", "state": "enabledForReportingButNotEnforced",
             "conditions": {"users": {"includeUsers": ["All"], "excludeGroups": [EMERGENCY, SALES]},
                            "applications": {"includeApplications": ["All"]}, "clientAppTypes": ["all"]},
             "grantControls": {"operator": "OR", "builtInControls": ["mfa"]}},
            {"id": DELETED, "displayName": "E2E deleted policy", "state": "enabledForReportingButNotEnforced",
             "conditions": {"users": {"includeUsers": ["All"], "excludeGroups": [EMERGENCY]},
                            "applications": {"includeApplications": ["Office365"]}, "clientAppTypes": ["all"],
                            "locations": {"includeLocations": [BRANCH]}},
             "grantControls": {"operator": "OR", "builtInControls": ["block"]}},
        ],
        iosManagedAppProtections=[
            {"id": IOS, "displayName": "E2E iOS", "description": "Outlook for the pilot", "pinRequired": True,
             "minimumPinLength": 4, "appDataEncryptionType": "whenDeviceLocked",
             "apps": [{"id": "com.microsoft.office.outlook.ios", "mobileAppIdentifier": {
                 "@odata.type": "#microsoft.graph.iosMobileAppIdentifier", "bundleId": "com.microsoft.office.outlook"}}],
             "assignments": [{"id": PILOT + "_incl", "target": {
                 "@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": PILOT}}]},
        ],
    )


def graph_writes(sandbox, since):
    return conftest.graph_writes(sandbox, since, ("method", "path", "status"))


def graph_list(sandbox, path):
    session = sandbox.session()
    response = session.get(sandbox.base_url + path, headers={"Authorization": "Bearer " + sandbox.token()})
    assert response.status_code == 200, response.text
    return response.json()["value"]


def comparable(obj, ids=None):
    """An object without server fields, ids of objects created again mapped back, lists as sets."""
    ids = ids or {}

    def walk(value):
        if isinstance(value, dict):
            return dict((k, walk(v)) for k, v in value.items()
                        if k not in SERVER_FIELDS and ("@" not in k or k == "@odata.type"))
        if isinstance(value, list):
            return sorted((walk(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
        if isinstance(value, str):
            return ids.get(value, value)
        return value
    return walk(obj)


def assignments(policy):
    return sorted((a["target"]["@odata.type"], a["target"]["groupId"]) for a in policy.get("assignments") or [])


def differences(before, after):
    """``{name: {key: (before, after)}}`` of what differs, for a readable failure."""
    out = {}
    for name in set(before) | set(after):
        old, new = before.get(name) or {}, after.get(name) or {}
        keys = [k for k in set(old) | set(new) if old.get(k) != new.get(k)]
        if keys or (name in before) != (name in after):
            out[name] = json.dumps(dict((k, (old.get(k), new.get(k))) for k in keys), sort_keys=True)
    return out


def tenant(sandbox, ids=None):
    """The objects the change set touches, by display name, comparable."""
    state = {}
    for path in (LOCATIONS, POLICIES):
        for obj in graph_list(sandbox, path):
            state[obj["displayName"]] = comparable(obj, ids)
    for obj in graph_list(sandbox, PROTECTIONS):
        state[obj["displayName"]] = dict(comparable(dict(obj, assignments=None), ids),
                                         assignments=assignments(obj))
    return state


def test_change_set_rolled_back_check_mode_first_then_exactly_then_unchanged(run_playbook, graph_sandbox, tmp_path):
    backups = tmp_path / "backups"
    env = {"TENANTGUARD_BACKUP_DIR": str(backups)}
    before = tenant(graph_sandbox)

    changes = run_playbook("rollback_changes.yml", env=env)
    assert changes.rc == 0, changes
    assert changes.recap["changed"] == 3, changes
    done = changes.output("changes")
    files = [done[key]["backup_file"] for key in ("policies", "locations", "protection")]
    assert all(os.path.dirname(f) == str(backups / graph_sandbox.tenant_id) for f in files), files
    changed = tenant(graph_sandbox)
    assert "E2E created policy" in changed and "E2E deleted policy" not in changed and "E2E branch" not in changed
    assert changed["E2E iOS"]["minimumPinLength"] == 6 and len(changed["E2E iOS"]["assignments"]) == 2

    # What the files hold: the objects as they were, and the created policy's id, all entries done.
    entries = [e for f in files for e in json.loads(open(f, encoding="utf-8").read())["entries"]]
    by_action = dict(((e["action"], e["display_name"]), e) for e in entries)
    assert set(by_action) == {("create", "E2E created policy"), ("update", "E2E updated policy"),
                              ("delete", "E2E deleted policy"), ("delete", "E2E branch"), ("update", "E2E office"),
                              ("update", "E2E iOS")}
    assert all(e["status"] == "done" for e in entries)
    assert by_action[("create", "E2E created policy")]["id"] == done["policies"]["actions"][0]["id"]
    assert by_action[("delete", "E2E deleted policy")]["before"]["id"] == DELETED
    assert by_action[("update", "E2E iOS")]["before"]["assignments"][0]["target"]["groupId"] == PILOT

    # Check mode with diff, the newest three backups of the tenant: changed, nothing written.
    since = len(settled(graph_sandbox))
    check = run_playbook(ROLLBACK, "--check", "--diff", extra_vars={"rollback_backup_dir": str(backups),
                                                                    "rollback_latest": 3}, env=env)
    assert check.rc == 0, check
    assert check.recap["changed"] == 1, check
    assert graph_writes(graph_sandbox, since) == []
    assert "rollback_confirm=true" in check.stdout
    assert "E2E deleted policy" in check.stdout and "E2E created policy" in check.stdout

    # For real: read back equal to the state before the change set.
    since = len(settled(graph_sandbox))
    restore = run_playbook(ROLLBACK, extra_vars={"rollback_backup_file": files, "rollback_confirm": True}, env=env)
    assert restore.rc == 0, restore
    assert restore.recap["changed"] == 2, restore  # the check-mode preview, then the restore
    writes = graph_writes(graph_sandbox, since)
    methods = sorted(m for m, _p, _s in writes)
    # branch and deleted policy created again, office/updated policy/iOS policy patched (iOS: settings +
    # assign), created policy deleted.
    assert methods.count("DELETE") == 1 and methods.count("POST") == 3 and methods.count("PATCH") == 3, writes
    new_branch = [o for o in graph_list(graph_sandbox, LOCATIONS) if o["displayName"] == "E2E branch"][0]["id"]
    assert new_branch != BRANCH
    after = tenant(graph_sandbox, ids={new_branch: BRANCH})
    assert after == before, differences(before, after)
    recreated = [o for o in graph_list(graph_sandbox, POLICIES) if o["displayName"] == "E2E deleted policy"][0]
    assert recreated["conditions"]["locations"]["includeLocations"] == [new_branch]

    # Again: nothing to restore, nothing written.
    since = len(settled(graph_sandbox))
    again = run_playbook(ROLLBACK, extra_vars={"rollback_backup_file": files, "rollback_confirm": True}, env=env)
    assert again.rc == 0, again
    assert again.recap["changed"] == 0, again
    assert graph_writes(graph_sandbox, since) == []

    # Owner-only files, no secret.
    secret = graph_sandbox.env["AZURE_CLIENT_SECRET"]
    found = 0
    for root, dirs, names in os.walk(backups / graph_sandbox.tenant_id):
        assert stat.S_IMODE(os.stat(root).st_mode) == 0o700, root
        for name in names:
            path = os.path.join(root, name)
            if name.endswith(".lock"):
                continue
            found += 1
            assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, path
            text = open(path, encoding="utf-8").read()
            assert secret not in text and "Bearer" not in text and "Authorization" not in text, path
    assert found == 4  # three of the change set, one of the restore
