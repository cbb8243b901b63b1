"""conditional_access_whatif and the compliance of the device: a scenario states the device's compliance
(Graph's deviceInfo.isCompliant, or compliant) or leaves it to the tenant's assigned compliance policies, and the
verdict on a compliantDevice grant follows; the compliance policies are read once. Nothing is written."""

import copy

import pytest

import conftest
from conftest import SEED, settled

PILOT = "Mobile Pilot"
PLAY = """---
- name: What-if with compliance
  hosts: localhost
  connection: local
  gather_facts: false
  vars:
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
  tasks:
    - name: Scenarios
      tenantguard.m365.conditional_access_whatif:
        scenarios:
          - {name: pilot iPhone, user: adele@contoso.onmicrosoft.com, application: Exchange Online, platform: iOS,
             client_app: mobile_apps_and_desktop_clients}
          - {name: pilot iPhone not compliant, user: adele@contoso.onmicrosoft.com, application: Exchange Online,
             platform: iOS, client_app: mobile_apps_and_desktop_clients, device: {isCompliant: false},
             expected: denied}
          - {name: pilot Android, user: adele@contoso.onmicrosoft.com, application: Exchange Online,
             platform: android, client_app: browser, expected: denied}
          - {name: pilot Android stated compliant, user: adele@contoso.onmicrosoft.com, application: Exchange Online,
             platform: android, client_app: browser, device: {compliant: true}}
          - {name: outside the pilot, user: diego@contoso.onmicrosoft.com, application: Exchange Online,
             platform: iOS, client_app: browser, expected: denied}
      register: whatif
    - name: Save
      ansible.builtin.copy:
        dest: "{{ out_dir }}/whatif.json"
        content: "{{ whatif | to_json }}"
        mode: "0600"
"""


@pytest.fixture
def sandbox_seed():
    """Everyone but the emergency accounts must use a compliant phone for Office 365; the only compliance policy is
    for iPhones, assigned to the pilot group (Adele)."""
    seed = copy.deepcopy(SEED)
    for group in seed["groups"]:
        if group["displayName"] == PILOT:
            group["id"] = "5d9b8a70-0000-4000-8000-000000000001"
            group["members"] = ["adele@contoso.onmicrosoft.com"]
    pilot = next(g["id"] for g in seed["groups"] if g["displayName"] == PILOT)
    emergency = next(g["id"] for g in seed["groups"] if g["displayName"] == "Emergency Access")
    seed["conditionalAccessPolicies"] = [{
        "displayName": "Compliant phones for Office 365", "state": "enabled",
        "conditions": {"users": {"includeUsers": ["All"], "excludeGroups": [emergency]},
                       "applications": {"includeApplications": ["Office365"]},
                       "platforms": {"includePlatforms": ["iOS", "android"]}, "clientAppTypes": ["all"]},
        "grantControls": {"operator": "OR", "builtInControls": ["compliantDevice"]}}]
    seed["deviceCompliancePolicies"] = [{
        "@odata.type": "#microsoft.graph.iosCompliancePolicy", "displayName": "Pilot iPhones",
        "assignments": [{"target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": pilot}}]}]
    return seed


def test_the_verdict_follows_the_device_compliance(run_playbook, graph_sandbox, tmp_path):
    path = tmp_path / "whatif.yml"
    path.write_text(PLAY)
    since = len(settled(graph_sandbox))
    run = run_playbook(str(path))
    assert run.rc == 0, run
    assert conftest.graph_writes(graph_sandbox, since, bulk_reads=False) == []
    reads = [r["path"] for r in settled(graph_sandbox)[since:] if "deviceCompliancePolicies" in r["path"]]
    assert len(reads) == 1, reads  # read once for every scenario
    result = dict((s["name"], s) for s in run.output("whatif")["scenarios"])
    policy = "Compliant phones for Office 365"

    # A pilot iPhone with its compliance left to the tenant: a compliance policy is assigned, so it can comply.
    assert result["pilot iPhone"]["access"] == "granted" and result["pilot iPhone"]["compliance_gap"] == []
    assert result["pilot iPhone"]["sign_in"]["compliance_policy_assigned"] is True
    # The same phone stated not compliant (Graph's deviceInfo.isCompliant): denied.
    assert result["pilot iPhone not compliant"]["access"] == "denied"
    assert result["pilot iPhone not compliant"]["compliance_gap"] == [policy]
    assert "not compliant" in result["pilot iPhone not compliant"]["access_detail"]
    # No compliance policy for Android: no Android phone of hers can comply.
    android = result["pilot Android"]
    assert android["access"] == "denied" and android["compliance_gap"] == [policy]
    assert android["sign_in"]["compliance_policy_assigned"] is False
    assert "no device compliance policy is assigned" in android["access_detail"]
    # Stated compliant (compliant: the short name of isCompliant), the phone's state is what Entra sees.
    stated = result["pilot Android stated compliant"]
    assert stated["access"] == "granted" and stated["sign_in"]["device"]["isCompliant"] is True
    assert "compliance_policy_assigned" not in stated["sign_in"]
    # Outside the pilot group: no compliance policy is assigned to Diego on iOS.
    assert result["outside the pilot"]["access"] == "denied" and result["outside the pilot"]["matches_expected"]
    assert all(result[name]["matches_expected"] is not False for name in result)
