"""ansible-playbook runs enrollment_restriction against the sandbox: check -> apply -> check -> apply, with the
stored restrictions read directly from the sandbox; the default is updated in place and never deleted."""


import conftest
from conftest import settled, stored


def graph_writes(sandbox, since=0):
    return conftest.graph_writes(sandbox, since, ("method", conftest.last_segment, "status"), bulk_reads=False)


def test_check_apply_check_apply(run_playbook, graph_sandbox, tmp_path):
    steps = [(["--check", "--diff"], 2, 0), ([], 2, 4), (["--check"], 0, 0), ([], 0, 0)]
    for index, (args, changed, write_count) in enumerate(steps):
        since = len(settled(graph_sandbox))
        run = run_playbook("enrollment_restriction.yml", *args)
        assert run.rc == 0, (index, run)
        assert run.recap["changed"] == changed, (index, run)
        writes = graph_writes(graph_sandbox, since)
        assert len(writes) == write_count, (index, writes)
        if index == 0:
            assert "Mobile Pilot" in run.stdout
        if index == 1:
            assert sorted(w[1] for w in writes if w[0] == "POST") == [
                "assign", "deviceEnrollmentConfigurations", "setPriority"]
    configurations = stored(graph_sandbox, "deviceEnrollmentConfigurations")
    default = next(o for o in configurations if o["id"].endswith("_DefaultPlatformRestrictions"))
    assert default["priority"] == 0 and default["displayName"] == "All users and all devices"
    assert default["androidRestriction"]["platformBlocked"] is True
    assert default["androidForWorkRestriction"]["personalDeviceEnrollmentBlocked"] is False
    assert default["iosRestriction"]["osMinimumVersion"] == "17.0"
    custom = next(o for o in configurations if o.get("displayName") == "E2E - Pilot - corporate phones only")
    assert custom["priority"] == 1 and custom["iosRestriction"]["personalDeviceEnrollmentBlocked"] is True
    pilot = next(g["id"] for g in stored(graph_sandbox, "groups") if g.get("displayName") == "Mobile Pilot")
    assert [a["target"]["groupId"] for a in custom["assignments"]] == [pilot]


def test_the_default_is_never_deleted(run_playbook, graph_sandbox, tmp_path):
    playbook = tmp_path / "delete_default.yml"
    playbook.write_text("""---
- name: Try to delete the default restriction
  hosts: localhost
  connection: local
  gather_facts: false
  vars:
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
  tasks:
    - name: Delete the default
      tenantguard.m365.enrollment_restriction:
        default: true
        state: absent
""")
    since = len(settled(graph_sandbox))
    run = run_playbook(str(playbook))
    assert run.rc != 0, run
    assert "never deleted" in run.stdout and "state" in run.stdout
    assert graph_writes(graph_sandbox, since) == []


def test_info_reads_what_reapplies_as_a_no_op(run_playbook, graph_sandbox):
    assert run_playbook("enrollment_restriction.yml").rc == 0
    since = len(settled(graph_sandbox))
    run = run_playbook("enrollment_restriction_export.yml")
    assert run.rc == 0, run
    assert run.recap["changed"] == 0, run
    assert graph_writes(graph_sandbox, since) == []
    read = run.output("enrollment_info")
    stored_ids = sorted(o["id"] for o in stored(graph_sandbox, "deviceEnrollmentConfigurations")
                        if o.get("@odata.type", "").endswith("PlatformRestrictionsConfiguration"))
    assert sorted(o["id"] for o in read["all"]) == stored_ids
    assert [o["priority"] for o in read["all"]] == sorted(o["priority"] for o in read["all"])
    default = read["all"][0]
    assert default["params"]["default"] is True and "display_name" not in default["params"]
    assert default["params"]["android_device_administrator"]["platform_blocked"] is True
    assert default["params"]["ios"]["os_minimum_version"] == "17.0"
    assert [o["id"] for o in read["default"]] == [default["id"]]
    custom = next(o for o in read["all"] if o["displayName"] == "E2E - Pilot - corporate phones only")
    assert custom["params"]["assignments"] == {"include_groups": ["Mobile Pilot"]}
    assert custom["params"]["priority"] == 1
    assert custom["params"]["ios"]["personal_device_enrollment_blocked"] is True
    assert read["set"]["changed"] is False and read["set"]["actions"] == []
    assert sorted(o["id"] for o in read["set"]["enrollment_restrictions"]) == stored_ids
