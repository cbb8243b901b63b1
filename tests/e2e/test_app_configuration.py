"""ansible-playbook runs app_configuration_policy and app_configuration_policy_info against the sandbox:
check -> apply -> check -> apply, one app more, and the export applied back without change."""

import conftest
from conftest import settled


def graph_writes(sandbox, since=0):
    return conftest.graph_writes(sandbox, since, ("method", conftest.last_segment, "status"), bulk_reads=False)


def test_check_apply_check_apply_one_more_app_and_export(run_playbook, graph_sandbox):
    steps = [(["--check", "--diff"], {}, 2, 0), ([], {}, 2, 5), (["--check"], {}, 0, 0), ([], {}, 0, 0),
             ([], {"configured_apps": ["outlook", "teams"]}, 1, 1),
             ([], {"configured_apps": ["teams", "outlook"], "export": True}, 0, 0)]
    for index, (args, variables, changed, write_count) in enumerate(steps):
        since = len(settled(graph_sandbox))
        run = run_playbook("app_configuration_policy.yml", *args, extra_vars=variables)
        assert run.rc == 0, (index, run)
        assert run.recap["changed"] == changed, (index, run)
        writes = graph_writes(graph_sandbox, since)
        assert len(writes) == write_count, (index, writes)
        if index == 0:
            assert "IntuneMAMAllowedAccountsOnly" in run.stdout and "Mobile Pilot" in run.stdout
        if index == 1:
            stored = run.output("configuration")["configuration"]["app_configuration_policy"]
            assert stored["id"].startswith("T_")
            settings = dict((p["name"], p["value"]) for p in stored["customSettings"])
            assert settings["IntuneMAMAllowedAccountsOnly"] == "Enabled"
            assert settings["com.microsoft.intune.mam.AllowedAccountUPNs"] == "{{userprincipalname}}"
            assert settings["com.microsoft.outlook.Contacts.LocalSyncEnabled"] == "true"
            raw = run.output("configuration")["raw_keys"]["app_configuration_policy"]
            assert raw["targetedAppManagementLevels"] == "unmanaged"
            assert [a["mobileAppIdentifier"]["bundleId"] for a in raw["apps"]] == ["com.microsoft.office.outlook"]
        if index == 4:
            assert writes == [("POST", "targetApps", 204)]
