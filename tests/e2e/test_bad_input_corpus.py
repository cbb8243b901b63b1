"""The bad input corpus (tests/e2e/data/bad_inputs.yml) through ansible-playbook against the sandbox.

Every module and role is given input it must refuse: unknown and ambiguous names, wrong types and enum
values, malformed ids, CIDRs, country codes, durations and dates, conflicting options, retired controls,
oversized lists and injection-looking strings. Each case must fail with a message that names the field
and quotes the value (and says what would be accepted, where the case lists it), without a traceback, and
the sandbox must see no write at all. A few positive controls (unicode names, a group whose name holds a
quote, host bits in a CIDR, lower-case country codes) must work. Injection-looking values must reach
Graph and Exchange only as escaped string literals (OData and OPATH double the single quote), which the
request log shows, and must match nothing.

The cases run in three playbooks (one per shard, each against its own sandbox), one task per case, so
that the corpus costs three ansible-playbook runs rather than one per case.
"""
import collections
import copy
import json
import time
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
import yaml

from conftest import settled


DATA = Path(__file__).resolve().parent / "data" / "bad_inputs.yml"
CASES = yaml.safe_load(DATA.read_text(encoding="utf-8"))["cases"]
GRAPH_WRITES = ("POST", "PATCH", "PUT", "DELETE")
GRAPH_READ_POSTS = ("/$batch", "/getByIds")
FIRST_SHARD = ("graph_request", "conditional_access_policy", "conditional_access_whatif",
               "conditional_access_coverage_info", "backup_restore")
SHARDS = {
    "graph-ca": lambda case: case.get("module") in FIRST_SHARD,
    "modules": lambda case: case.get("module") and case["module"] not in FIRST_SHARD,
    "roles": lambda case: "role" in case,
}
KINDS = ("unknown_name", "ambiguous_name", "wrong_type", "enum", "malformed_id", "cidr", "country", "duration",
         "date", "range", "conflict", "retired", "oversized", "injection", "unicode")

MODULES = {"graph_request", "conditional_access_policy", "conditional_access_policy_info",
           "conditional_access_template_info", "named_location", "named_location_info",
           "authentication_strength_policy", "authentication_strength_policy_info", "app_protection_policy",
           "app_protection_policy_info", "app_configuration_policy", "app_configuration_policy_info",
           "mobile_device", "mobile_device_info", "conditional_access_whatif", "conditional_access_coverage_info",
           "backup_restore", "device_compliance_policy", "device_compliance_policy_info", "enrollment_restriction",
           "enrollment_restriction_info",
           "activesync_organization_settings", "activesync_device_access_rule", "mobile_device_mailbox_policy",
           "cas_mailbox_mobile", "activesync_quarantine", "managed_app_wipe", "license_readiness_info",
           "conditional_access_rollout_readiness", "activesync_access_info"}
TWIN_SALES_ID = "e0e0e0e0-0000-4000-8000-0000000000b2"
CONTOSO = json.loads((Path(__file__).resolve().parents[2] / "sandbox" / "seeds" / "contoso.json")
                     .read_text(encoding="utf-8"))


@pytest.fixture
def sandbox_seed():
    """The demo tenant, with an ambiguous group name, a quote in a name, unicode and a second location."""
    seed = copy.deepcopy(CONTOSO)
    seed["groups"] += [
        {"id": TWIN_SALES_ID, "displayName": "Sales", "securityEnabled": True, "mailEnabled": False,
         "mailNickname": "sales-twin"},
        {"displayName": "O'Brien Team", "securityEnabled": True, "mailEnabled": False, "mailNickname": "obrien"},
        {"displayName": "Außendienst 東京", "securityEnabled": True, "mailEnabled": False, "mailNickname": "tokyo"},
    ]
    seed["namedLocations"].append({
        "@odata.type": "#microsoft.graph.ipNamedLocation", "displayName": "Branch office", "isTrusted": False,
        "ipRanges": [{"@odata.type": "#microsoft.graph.iPv4CidrRange", "cidrAddress": "203.0.113.0/24"}]})
    return seed


def case_args(case, files=None):
    """The case's module arguments, with generated oversized lists filled in (and a case's backup file)."""
    args = copy.deepcopy(case.get("args") or {})
    for option, count in (case.get("generate") or {}).items():
        args[option] = ["10.%d.%d.0/24" % (i // 256, i % 256) for i in range(count)]
    if case["id"] in (files or {}):
        args["backup_file"] = [files[case["id"]]]
    return args


def backup_files(cases, folder, tenant_id):
    """``{case id: path}``: each case's ``backup`` entries written as a backup file of the test's tenant."""
    files = {}
    for case in cases:
        if "backup" not in case:
            continue
        folder.mkdir(mode=0o700, exist_ok=True)
        path = folder / (case["id"] + ".json")
        path.write_text(json.dumps({"format": "tenantguard.m365.backup", "version": 1, "tenant_id": tenant_id,
                                    "module": "corpus", "started": "2026-12-01T10:00:00.000000Z",
                                    "entries": case["backup"]}), encoding="utf-8")
        path.chmod(0o600)
        files[case["id"]] = str(path)
    return files


def playbook(cases, files=None):
    """One play: a task per module case (ignore_errors, register) and a rescued block per role case."""
    tasks = []
    names = []
    for index, case in enumerate(cases):
        name = "corpus_%03d" % index
        names.append(name)
        if "module" in case:
            task = {"name": case["id"], "tenantguard.m365." + case["module"]: case_args(case, files),
                    "register": name, "ignore_errors": True}
            if case.get("check"):
                task["check_mode"] = True
            tasks.append(task)
        else:
            tasks.append({"name": case["id"], "block": [
                {"name": case["id"] + ": include the role",
                 "ansible.builtin.include_role": {"name": "tenantguard.m365." + case["role"]},
                 "vars": case["vars"]},
                {"name": case["id"] + ": the role ran through",
                 "ansible.builtin.set_fact": {name: {"failed": False}}},
            ], "rescue": [
                {"name": case["id"] + ": record the failure",
                 "ansible.builtin.set_fact": {name: "{{ ansible_failed_result | combine({'failed': true, "
                                                    "'failed_task': ansible_failed_task.name}) }}"}},
            ]})
    tasks.append({"name": "Save what every case returned", "ansible.builtin.copy": {
        "content": "{{ dict(corpus_names | zip(query('ansible.builtin.vars', *corpus_names))) | to_json }}",
        "dest": "{{ out_dir }}/corpus.json", "mode": "0600"}, "check_mode": False,
        "vars": {"corpus_names": names}})
    return [{"name": "Bad input corpus", "hosts": "localhost", "connection": "local", "gather_facts": False,
             "vars": {"ansible_python_interpreter": "{{ ansible_playbook_python }}"}, "tasks": tasks}]


def writes(rows):
    """Every write the sandbox saw: Graph POST/PATCH/PUT/DELETE other than reads sent as POST (and
    writes inside a $batch), Exchange cmdlets other than Get-*."""
    found = []
    for row in rows:
        if row["service"] == "graph" and row["method"] in GRAPH_WRITES:
            if not row["path"].endswith(GRAPH_READ_POSTS):
                found.append((row["method"], row["path"], row["status"]))
            elif row["path"].endswith("/$batch"):
                for sub in (row.get("body") or {}).get("requests") or []:
                    if str(sub.get("method", "GET")).upper() != "GET":
                        found.append((sub.get("method"), sub.get("url"), "in $batch"))
        elif row["service"] == "exchange":
            cmdlet = (((row.get("body") or {}).get("CmdletInput") or {}).get("CmdletName") or "")
            if not cmdlet.lower().startswith("get-"):
                found.append(("cmdlet", cmdlet, row["status"]))
    return found


def sent_filters(rows):
    """Every filter-like text the run sent: query values (also of the requests inside a $batch) and the
    Filter, Identity and Mailbox parameters of Exchange cmdlets."""
    texts = []
    for row in rows:
        texts.extend(str(v) for v in (row.get("query") or {}).values())
        body = row.get("body") or {}
        if row["service"] == "graph" and row["path"].endswith("/$batch"):
            for sub in body.get("requests") or []:
                texts.extend(v for _k, v in parse_qsl(urlsplit(str(sub.get("url", ""))).query))
        if row["service"] == "exchange":
            parameters = (body.get("CmdletInput") or {}).get("Parameters") or {}
            texts.extend(str(parameters[k]) for k in ("Filter", "Identity", "Mailbox") if k in parameters)
    return texts


def problems_of(case, answer):
    """What is wrong with one case's answer (an empty list when it behaved)."""
    text = json.dumps(answer, ensure_ascii=False)
    problems = []
    if "Traceback (most recent call last)" in text or answer.get("module_stderr"):
        problems.append("a traceback instead of a message")
    if case.get("outcome", "failed") == "ok":
        if answer.get("failed"):
            problems.append("valid input refused: %s" % answer.get("msg"))
        if case.get("empty") and answer.get(case["empty"]):
            problems.append("%s is not empty: %s" % (case["empty"], answer.get(case["empty"])))
        return problems
    if not answer.get("failed"):
        return problems + ["not refused (changed=%s)" % answer.get("changed")]
    message = str(answer.get("msg", ""))
    if "argument_errors" in answer:  # role argument validation: the detail is in argument_errors
        message += " " + " ".join(answer["argument_errors"])
    for item in answer.get("results") or []:  # a looped task in a role: the failed item says why
        if isinstance(item, dict) and item.get("failed"):
            message += " " + str(item.get("msg", ""))
    wanted = [case["field"]] + list(case.get("accepted") or [])
    if not case.get("core_message"):
        wanted.append(case["value"])
    for what in wanted:
        if str(what) not in message:
            problems.append("message lacks %r: %s" % (what, message))
    return problems


def test_corpus_is_large_and_well_formed():
    ids = [case["id"] for case in CASES]
    assert len(ids) == len(set(ids)), [i for i, n in collections.Counter(ids).items() if n > 1]
    for case in CASES:
        assert ("module" in case) != ("role" in case), case["id"]
        assert case["kind"] in KINDS, case["id"]
        if case.get("outcome", "failed") == "failed":
            assert case.get("field") and case.get("value") is not None, case["id"]
        else:
            assert case.get("check") or case.get("empty") or case["module"].endswith("_policy"), case["id"]
    assert sorted(set().union(*[[s for s, select in SHARDS.items() if select(c)] for c in CASES])) == sorted(SHARDS)
    assert sum(len([c for c in CASES if select(c)]) for select in SHARDS.values()) == len(CASES)
    modules = collections.Counter(c["module"] for c in CASES if "module" in c)
    roles = collections.Counter(c["role"] for c in CASES if "role" in c)
    kinds = collections.Counter(c["kind"] for c in CASES)
    print("\nbad input corpus: %d cases" % len(CASES))
    print("  by module: %s" % dict(sorted(modules.items())))
    print("  by role:   %s" % dict(sorted(roles.items())))
    print("  by kind:   %s" % dict(sorted(kinds.items())))
    assert set(modules) >= MODULES
    assert set(roles) >= {"conditional_access", "app_protection", "outlook_mobile", "device_report",
                          "tenant_hardening"}
    assert set(kinds) == set(KINDS)
    assert len([c for c in CASES if c.get("outcome", "failed") == "failed"]) >= 70


@pytest.mark.parametrize("shard", sorted(SHARDS))
def test_bad_inputs_are_refused_naming_field_and_value_and_write_nothing(
        run_playbook, graph_sandbox, tmp_path, shard):
    cases = [case for case in CASES if SHARDS[shard](case)]
    path = tmp_path / ("corpus-%s.yml" % shard)
    files = backup_files(cases, tmp_path / "corpus-backups", graph_sandbox.tenant_id)
    path.write_text(yaml.safe_dump(playbook(cases, files), allow_unicode=True, sort_keys=False), encoding="utf-8")
    since = len(settled(graph_sandbox))
    started = time.monotonic()
    run = run_playbook(str(path))
    elapsed = time.monotonic() - started
    assert run.rc == 0, run
    answers = run.output("corpus")
    rows = settled(graph_sandbox)[since:]
    print("\n%s: %d cases in %.1f s, %d requests" % (shard, len(cases), elapsed, len(rows)))
    problems = {}
    for index, case in enumerate(cases):
        found = problems_of(case, answers["corpus_%03d" % index])
        if found:
            problems[case["id"]] = found
    filters = sent_filters(rows)
    for case in cases:
        for literal in case.get("filter") or []:
            if not any(literal in text for text in filters):
                problems.setdefault(case["id"], []).append("no filter sent holds the literal %r" % literal)
    assert (problems, writes(rows)) == ({}, []), json.dumps([problems, writes(rows)], indent=1, ensure_ascii=False)
