"""ansible-playbook runs conditional_access_template_info against the sandbox: filters by scenario, name
and id, v1.0 and beta, and params ready for the conditional access policy module."""

WRITES = ("POST", "PATCH", "PUT", "DELETE")
TEMPLATES = "/identity/conditionalAccess/templates"


def test_templates_by_scenario_name_and_id(run_playbook, graph_sandbox):
    from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.spec import options_to_graph

    run = run_playbook("conditional_access_template_info.yml", "--check")
    assert run.rc == 0 and run.recap["changed"] == 0, run
    seen = run.output("templates")
    everything = seen["all"]["templates"]
    assert len(everything) >= 4 and len(set(t["id"] for t in everything)) == len(everything)
    for template in everything:
        assert template["details"]["conditions"] and template["params"]["display_name"] == template["name"]
        assert "Current administrator will be excluded" not in str(template["params"])
        options_to_graph(template["params"], "v1.0")
    admins = seen["admins"]["templates"]
    assert admins and all("protectAdmins" in t["scenarios"].split(",") for t in admins)
    legacy = seen["legacy"]["templates"]
    assert [t["name"] for t in legacy] == ["Block legacy authentication"]
    assert legacy[0]["params"]["grant_controls"] == {"built_in_controls": ["block"], "operator": "OR"}
    assert legacy[0]["params"]["conditions"]["client_app_types"] == ["exchangeActiveSync", "other"]
    assert seen["by_id"]["templates"] == legacy
    rows = [r for r in graph_sandbox.requests() if r["service"] == "graph"]
    assert [r["path"] for r in rows] == ["/v1.0" + TEMPLATES, "/beta" + TEMPLATES, "/v1.0" + TEMPLATES,
                                         "/v1.0" + TEMPLATES]
    assert not [r for r in rows if r["method"] in WRITES]
