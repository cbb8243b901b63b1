"""Microsoft's built-in conditional access templates, checked against the documented examples.

Where the documented v1.0 example and the live beta response the data comes from disagree, the live response
is followed: the example lists 2 of the 14 admin roles (it is marked truncated) and words two descriptions
differently ("Security Default." / "self-service password."); the tests compare everything else.
"""

import json
from pathlib import Path

import pytest

from tenantguard_sandbox.validation import builtin_templates, create_policy
from tenantguard_sandbox.validation.schema import read_body
from tenantguard_sandbox.validation.workloads import CONDITIONAL_ACCESS_POLICY, tolerated_properties

EXAMPLES = Path(__file__).parent / "examples" / "conditional_access_templates"


def load(name):
    return json.loads((EXAMPLES / name).read_text())["response"]["body"]["value"]


def test_the_documented_templates_are_there_with_their_names_and_scenarios():
    ours = {t["id"]: t for t in builtin_templates("v1.0")}
    for documented in load("v10__conditionalaccessroot-list-templates__2.json"):
        template = ours[documented["id"]]
        assert (template["name"], template["scenarios"]) == (documented["name"], documented["scenarios"])


def test_the_documented_template_details_match():
    documented = load("v10__conditionalaccessroot-list-templates__1.json")[0]
    template = next(t for t in builtin_templates("v1.0") if t["id"] == documented["id"])
    ours, theirs = template["details"], documented["details"]
    assert ours["grantControls"] == theirs["grantControls"]
    assert ours["sessionControls"] == theirs["sessionControls"]
    assert list(ours["conditions"]) == list(theirs["conditions"])
    for key, value in theirs["conditions"].items():
        if key != "users":
            assert ours["conditions"][key] == value, key
    users, documented_users = ours["conditions"]["users"], theirs["conditions"]["users"]
    assert set(users) == set(documented_users)
    assert documented_users["includeRoles"] == users["includeRoles"][:2] and len(users["includeRoles"]) == 14
    assert {k: v for k, v in users.items() if k != "includeRoles"} == \
        {k: v for k, v in documented_users.items() if k != "includeRoles"}


def test_versions_differ_as_their_models_do():
    v1 = builtin_templates("v1.0")
    beta = builtin_templates("beta")
    assert len(beta) == 21 and len(v1) == 17
    assert all("aiAgents" not in t["scenarios"] for t in v1)
    first = beta[0]["details"]
    assert "agentIdRiskLevels" in first["conditions"] and "signInRiskDetections" not in first["conditions"]
    assert first["grantControls"]["authenticationStrength@odata.context"].endswith(
        "/beta/$metadata#conditionalAccess/templates('c7503427-338e-4c5e-902d-abe252abfb43')/details/grantControls/"
        "authenticationStrength/$entity")


def test_v1_templates_fit_the_v1_schema():
    """Every v1.0 value is one the v1.0 model can express (the beta list also carries values newer than the
    beta schema extract: scenario aiAgents, grant control verifiedID); the properties responses carry beyond
    the schema (signInRiskDetections, times, ...) are null, as the service's own responses show them."""
    tolerated = tolerated_properties(CONDITIONAL_ACCESS_POLICY, "v1.0")
    for template in builtin_templates("v1.0"):
        read_body("v1.0", "conditionalAccessTemplate", template, "reference", tolerated=tolerated)


def test_referenced_strengths_are_expanded():
    phishing = next(t for t in builtin_templates("v1.0") if t["id"] == "76c03f19-ea37-4656-a772-a183b4ddb81d")
    strength = phishing["details"]["grantControls"]["authenticationStrength"]
    assert strength["id"] == "00000000-0000-0000-0000-000000000004" and strength["policyType"] == "builtIn"
    assert phishing["details"]["grantControls"]["operator"] == "AND"


@pytest.mark.parametrize("version", ["v1.0", "beta"])
def test_template_details_are_refused_as_a_policy_until_the_placeholder_is_replaced(version):
    for template in builtin_templates(version):
        details = template["details"]
        users = details["conditions"]["users"]
        if "Current administrator will be excluded" not in users["excludeUsers"]:
            continue
        body = {"displayName": template["name"], "state": "enabledForReportingButNotEnforced",
                "conditions": details["conditions"]}
        try:
            create_policy(version, body)
        except Exception as error:  # noqa: BLE001 - the 1007 GraphHTTPError is what is expected
            assert getattr(error, "status", None) == 400
        else:
            raise AssertionError("template %s accepted with its placeholder" % template["id"])
