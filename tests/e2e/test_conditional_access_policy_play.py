"""ansible-playbook runs conditional_access_policy (and named_location, info) against the sandbox:
check -> apply -> check -> apply (changed, changed, unchanged, unchanged; check runs write nothing),
update, export and re-apply unchanged, delete, delete again unchanged."""

WRITES = ("POST", "PATCH", "PUT", "DELETE")
READ_POSTS = ("/directoryObjects/getByIds", "/$batch")
POLICIES = "/v1.0/identity/conditionalAccess/policies"
LOCATIONS = "/v1.0/identity/conditionalAccess/namedLocations"


def writes(sandbox, since):
    """(method, path) of every Graph write since ``since`` (bulk reads sent as POST left out)."""
    rows = sandbox.requests()[since:]
    found = []
    for row in rows:
        if row["service"] != "graph" or row["method"] not in WRITES:
            continue
        if row["method"] == "POST" and row["path"].endswith(READ_POSTS):
            items = (row.get("body") or {}).get("requests") or []
            if all(i.get("method") == "GET" or i.get("url", "").endswith("getByIds") for i in items):
                continue
        path = row["path"]
        for prefix in (POLICIES, LOCATIONS):
            if path.startswith(prefix + "/"):
                path = prefix + "/{id}"
        found.append((row["method"], path))
    return found


def test_four_steps_update_export_and_delete(run_playbook, graph_sandbox):
    since = len(graph_sandbox.requests())
    check = run_playbook("conditional_access_policy_lifecycle.yml", "--check", "--diff")
    assert check.rc == 0, check
    assert check.recap["changed"] == 3, check
    assert writes(graph_sandbox, since) == []
    # The diff names what the ids stand for; the location the play would create is named too.
    for name in ("Mobile Pilot", "breakglass1@contoso.onmicrosoft.com", "E2E head office", "Exchange Online"):
        assert name in check.stdout, name

    since = len(graph_sandbox.requests())
    apply = run_playbook("conditional_access_policy_lifecycle.yml")
    assert apply.rc == 0, apply
    assert apply.recap["changed"] == 3, apply
    assert writes(graph_sandbox, since) == [("POST", LOCATIONS), ("POST", POLICIES), ("POST", POLICIES)]
    seen = apply.output("lifecycle")
    mobile = seen["mobile"]["conditional_access_policy"]
    assert mobile["state"] == "enabledForReportingButNotEnforced"
    location_id = mobile["conditions"]["locations"]["excludeLocations"][0]
    assert len(location_id) == 36
    assert seen["legacy"]["conditional_access_policy"]["state"] == "enabled"

    since = len(graph_sandbox.requests())
    again = run_playbook("conditional_access_policy_lifecycle.yml", "--check")
    assert again.rc == 0, again
    assert again.recap["changed"] == 0, again
    again = run_playbook("conditional_access_policy_lifecycle.yml")
    assert again.rc == 0, again
    assert again.recap["changed"] == 0, again
    assert writes(graph_sandbox, since) == []

    since = len(graph_sandbox.requests())
    update = run_playbook("conditional_access_policy_lifecycle.yml", "--diff",
                          extra_vars={"policy_groups": ["Mobile Pilot", "Emergency Access"]})
    assert update.rc == 0, update
    assert update.recap["changed"] == 1, update
    assert writes(graph_sandbox, since) == [("PATCH", POLICIES + "/{id}")]
    assert "Emergency Access" in update.stdout
    assert update.output("lifecycle")["mobile"]["action"] == "updated"

    since = len(graph_sandbox.requests())
    export = run_playbook("conditional_access_policy_export.yml")
    assert export.rc == 0, export
    assert export.recap["changed"] == 0, export
    assert writes(graph_sandbox, since) == []
    exported = export.output("export")["exported"]["conditional_access_policies"]
    params = dict((p["displayName"], p["params"]) for p in exported)
    assert params["E2E mobile app protection"]["conditions"]["users"]["include_groups"] == [
        "Emergency Access", "Mobile Pilot"] or sorted(
        params["E2E mobile app protection"]["conditions"]["users"]["include_groups"]) == ["Emergency Access",
                                                                                          "Mobile Pilot"]
    assert params["E2E mobile app protection"]["conditions"]["locations"]["exclude_locations"] == ["E2E head office"]

    since = len(graph_sandbox.requests())
    delete = run_playbook("conditional_access_policy_lifecycle.yml", extra_vars={"policy_state_wanted": "absent"})
    assert delete.rc == 0, delete
    assert delete.recap["changed"] == 2, delete
    assert writes(graph_sandbox, since) == [("DELETE", POLICIES + "/{id}"), ("DELETE", POLICIES + "/{id}")]
    since = len(graph_sandbox.requests())
    delete = run_playbook("conditional_access_policy_lifecycle.yml", extra_vars={"policy_state_wanted": "absent"})
    assert delete.rc == 0, delete
    assert delete.recap["changed"] == 0, delete
    assert writes(graph_sandbox, since) == []


def test_lockout_guard_refuses_before_writing(run_playbook, graph_sandbox, tmp_path):
    playbook = tmp_path / "lockout.yml"
    playbook.write_text("""
- name: An enforced block for all users that forgets the emergency accounts
  hosts: localhost
  connection: local
  gather_facts: false
  vars:
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
  module_defaults:
    tenantguard.m365.conditional_access_policy:
      emergency_access:
        users: [breakglass1@contoso.onmicrosoft.com]
  tasks:
    - name: Block everyone
      tenantguard.m365.conditional_access_policy:
        display_name: E2E lockout
        policy_state: enabled
        conditions:
          users: {include_users: [All]}
          applications: {include_applications: [All]}
        grant_controls: {built_in_controls: [block]}
""")
    since = len(graph_sandbox.requests())
    run = run_playbook(str(playbook))
    assert run.rc != 0, run
    assert run.recap["failed"] == 1, run
    assert "does not exclude the emergency-access user breakglass1@contoso.onmicrosoft.com" in run.stdout
    assert writes(graph_sandbox, since) == []
