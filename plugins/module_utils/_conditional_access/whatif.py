# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: the what-if of conditional access: which policies a sign-in meets, before they are enforced.

Not a public API. What the ``conditional_access_whatif`` module does in one task, without writing:

1. check the scenarios (``_conditional_access.whatif_scenarios``) and, for ``source: declared`` or ``both``, the
   declared policies, in the option form of ``conditional_access_policy``'s set mode (plus the
   ``rollout`` stages of the ``conditional_access`` role), through that module's own planning
   functions: option checks, templates, one bulk resolution of every name (``_engine.names``);
2. read the tenant once: the policies (``source: live`` or ``both``) and the named locations;
3. resolve the scenarios' users, groups, roles, applications and service principals in bulk;
4. evaluate every scenario offline (``_conditional_access.evaluation``) against the live policies, the declared
   ones, or both (the live set with the declared changes applied, by display name);
5. with ``use_graph``, ask Graph the same question (``POST /identity/conditionalAccess/evaluate``,
   in ``$batch``) and report where Graph and the offline engine disagree on which policies apply.
"""

import copy

from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.evaluation import (
    UNMANAGED_DEVICE,
    evaluate,
    sign_in_problems,
)
from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.compliance_coverage import (
    COLLECTION as COMPLIANCE_COLLECTION,
    ComplianceAssignments,
    needs_compliant_device,
    with_compliance,
)
from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.policies import (
    COLLECTION,
    LIST_OPTION,
    PolicyInputError,
    PreferUnknownEnumMembers,
    item_options,
    option_bodies,
    plan_policies,
    policy_items,
    resolve_all,
    validate_items,
)
from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.templates import (
    TemplateCatalog,
    apply_templates,
    fill_placeholders,
)
from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.rules import REPORT_ONLY
from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.whatif_scenarios import (
    ScenarioError,
    ScenarioResolver,
    check_scenarios,
    evaluate_body,
    sign_in,
)
from ansible_collections.tenantguard.m365.plugins.module_utils._base.errors import GraphError, parse_graph_error_body
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.names import NameResolver

SOURCES = ("live", "declared", "both")
NAMED_LOCATIONS = "/identity/conditionalAccess/namedLocations"
EVALUATE = "/identity/conditionalAccess/evaluate"
# The rollout stages of the conditional_access role, and the state each gives a policy.
ROLLOUT_STATES = {"report_only": REPORT_ONLY, "pilot": REPORT_ONLY, "enforced": "enabled", "disabled": "disabled"}
DEFAULT_PILOT_SUFFIX = " (pilot)"


def declared_item_options():
    spec = item_options()
    spec["rollout"] = dict(type="str", choices=sorted(ROLLOUT_STATES))
    return spec


# ---------------------------------------------------------------------------------------------
# Declared policies


def _add(values, extra):
    out = list(values or [])
    for value in extra or []:
        if value not in out:
            out.append(value)
    return out


def _without_none(value):
    """The options as a person would write them: keys with null values left out, at every level."""
    if isinstance(value, dict):
        return dict((k, _without_none(v)) for k, v in value.items() if v is not None)
    if isinstance(value, list):
        return [_without_none(v) for v in value]
    return value


def _with_users(item, users):
    item = copy.deepcopy(item)
    conditions = dict(item.get("conditions") or {})
    conditions["users"] = users
    item["conditions"] = conditions
    return item


def role_form(items, emergency_access, pilot_groups, pilot_suffix):
    """The items as the ``conditional_access`` role would hand them to the module: ``rollout`` as
    a policy state, the emergency-access accounts excluded from every policy, and in the pilot
    stage an enforced copy for the pilot groups (the policy itself report-only, without them)."""
    emergency_users = list((emergency_access or {}).get("users") or [])
    emergency_groups = list((emergency_access or {}).get("groups") or [])
    out = []
    problems = []
    for index, item in enumerate(items):
        item = _without_none(item)
        rollout = item.pop("rollout", None)
        if item.get("policy_state") is None and rollout:
            item["policy_state"] = ROLLOUT_STATES[rollout]
        present = (item.get("state") or "present") == "present"
        if present and item.get("conditions") is not None and rollout != "disabled":
            users = dict(item["conditions"].get("users") or {})
            users["exclude_users"] = _add(users.get("exclude_users"), emergency_users) or None
            users["exclude_groups"] = _add(users.get("exclude_groups"), emergency_groups) or None
            if rollout == "pilot":
                users["exclude_groups"] = _add(users.get("exclude_groups"), pilot_groups)
            item = _with_users(item, dict((k, v) for k, v in users.items() if v is not None))
        out.append(item)
        if rollout == "pilot" and present:
            if not pilot_groups:
                problems.append("%s[%d].rollout: the pilot stage needs pilot_groups, the groups the policy is "
                                "enforced for first (got rollout: pilot). Accepted: pilot_groups, or another "
                                "rollout." % (LIST_OPTION, index))
                continue
            original = ((item.get("conditions") or {}).get("users")) or {}
            copy_users = {"include_groups": list(pilot_groups)}
            if original.get("exclude_roles"):
                copy_users["exclude_roles"] = original["exclude_roles"]
            if emergency_users or original.get("exclude_users"):
                copy_users["exclude_users"] = _add(original.get("exclude_users"), emergency_users)
            groups = [g for g in original.get("exclude_groups") or [] if g not in pilot_groups]
            if groups:
                copy_users["exclude_groups"] = groups
            pilot = _with_users(dict((k, v) for k, v in item.items() if k != "id"), copy_users)
            pilot["display_name"] = "%s%s" % (item.get("display_name") or "", pilot_suffix)
            pilot["policy_state"] = "enabled"
            out.append(pilot)
    if problems:
        raise PolicyInputError(problems)
    return out


def validated_items(items):
    """Check each declared item against the options of one policy (plus ``rollout``)."""
    return validate_items(items, declared_item_options())


class Declared:
    """The declared policies as Graph bodies with ids (``present``), and the names and ids of the
    items to remove (``absent``)."""

    def __init__(self, present, absent):
        self.present = present
        self.absent = absent


def module_items(params):
    """The declared items in the options of conditional_access_policy (role form applied)."""
    items = role_form(validated_items(params[LIST_OPTION] or []), params.get("emergency_access"),
                      params.get("pilot_groups") or [], params.get("pilot_suffix") or DEFAULT_PILOT_SUFFIX)
    validated_items(items)
    return items


def declared_policies(module, params, resolver, api_version):
    """The declared policies on their own (``source: declared``): no read of the live policies."""
    items = validated_items(module_items(params))
    planned = policy_items({LIST_OPTION: items, "state": "present"})
    option_bodies(planned, api_version)
    if any(item.template for item in planned):
        apply_templates(planned, TemplateCatalog(module.graph, api_version))
    # As in check mode: a named location or strength an earlier task of the play would create is kept, with a
    # warning, rather than refused.
    emergency = resolve_all(planned, resolver, params.get("emergency_access"), module.warn, check_mode=True)
    fill_placeholders([item for item in planned if item.state == "present"], emergency, module.warn)
    present, absent = [], []
    for item in planned:
        if item.state == "present":
            body = copy.deepcopy(item.body or {})
            body["id"] = item.id
            present.append((item, body))
        else:
            absent.append((item.id, (item.body or {}).get("displayName") or item.params.get("display_name")))
    return Declared(present, absent)


def declared_only(declared):
    """The declared policies on their own: a policy without a state is report-only, as the
    ``conditional_access_policy`` module creates it."""
    out = []
    for _item, body in declared.present:
        body = copy.deepcopy(body)
        body.setdefault("state", None)
        if not body["state"]:
            body["state"] = REPORT_ONLY
        out.append(body)
    return out


# ---------------------------------------------------------------------------------------------
# Results


def _name(result):
    return getattr(result, "display_name", None)


def controls_required(requirements):
    found = []
    for requirement in requirements or []:
        for control in requirement.get("controls") or []:
            if control not in found:
                found.append(control)
    return found


def shaped(evaluation, scenario):
    """One variant of a scenario's result (the posture report reads these keys)."""
    out = {
        "outcome": evaluation.outcome,
        "requirements": copy.deepcopy(list(evaluation.requirements or [])),
        "session_controls": copy.deepcopy(evaluation.session_controls),
        "enforced": [_name(r) for r in evaluation.enforced],
        "report_only": [_name(r) for r in evaluation.report_only],
        "not_applied": [{"display_name": _name(r), "reason": getattr(r, "reason", None),
                         "detail": getattr(r, "detail", None)} for r in evaluation.not_applied],
        "access_granted": None,
    }
    satisfied = scenario.values.get("satisfied_controls")
    if satisfied is not None:
        out["access_granted"] = bool(evaluation.satisfied_by(set(satisfied)))
    out["access"], out["access_detail"] = access(evaluation, satisfied)
    out["compliance_gap"] = [r.get("policy") for r in evaluation.compliance_gap()]
    return out


# Every control a client may be able to satisfy; the engine takes out those the sign-in cannot
# (a legacy client satisfies none, a platform without the device or app state some).
EVERY_CONTROL = ("mfa", "compliantDevice", "domainJoinedDevice", "approvedApplication", "compliantApplication",
                 "passwordChange", "riskRemediation", "authenticationStrength", "termsOfUse")


def access(evaluation, satisfied=None):
    """``("granted" | "denied", why)``: denied when the sign-in is blocked, or when it cannot satisfy
    what is required: with ``satisfied`` (the scenario's satisfied_controls) those controls, else
    every control the sign-in could satisfy at all."""
    if evaluation.outcome == "block":
        return "denied", "blocked by %s" % ", ".join(_name(r) or str(r.id) for r in evaluation.blocked_by)
    if evaluation.outcome != "grant":
        return "granted", "no enforced policy requires anything"
    have = set(satisfied) if satisfied is not None else set(EVERY_CONTROL)
    if satisfied is None:
        for requirement in evaluation.requirements:
            have.update(requirement.get("custom_authentication_factors") or [])
    if evaluation.satisfied_by(have):
        if satisfied is not None:
            return "granted", "with %s" % ", ".join(sorted(satisfied))
        required = controls_required(evaluation.requirements) or ["the requirements"]
        return "granted", "once the sign-in satisfies %s" % ", ".join(required)
    failing = evaluation.unmet_requirements(have)
    impossible = evaluation.unsatisfiable_controls
    reasons = sorted(set(impossible.values())) if impossible else []
    text = "cannot satisfy %s" % "; ".join(
        "%s (%s %s)" % (r.get("policy"), r.get("operator"), ", ".join(
            list(r.get("controls") or []) + (["authentication strength"] if r.get("authentication_strength") else [])
            + (["terms of use"] if r.get("terms_of_use") else [])))
        for r in failing)
    if satisfied is not None:
        text += " with %s" % (", ".join(sorted(satisfied)) or "no control")
    if reasons:
        text += ": %s" % "; ".join(reasons)
    return "denied", text


def _demands(variant):
    """What a sign-in must satisfy, whichever policies ask it (a renamed policy changes nothing)."""
    return sorted((r.get("operator"), tuple(r.get("controls") or ()), r.get("authentication_strength") or "",
                   tuple(r.get("terms_of_use") or ()), tuple(r.get("custom_authentication_factors") or ()))
                  for r in variant["requirements"])


def matches_expected(variant, scenario):
    expected = scenario.params.get("expected")
    if expected is None:
        return None
    if expected == "denied":
        return variant["access"] == "denied"
    if variant["outcome"] != expected:
        return False
    wanted = scenario.values.get("expected_controls") or []
    required = controls_required(variant["requirements"])
    return all(control in required for control in wanted)


def _applying_ids(evaluation):
    return set(str(r.id).lower() for r in list(evaluation.enforced) + list(evaluation.report_only) if r.id)


def compare(evaluation, graph_results, policies):
    """``(graph summary, disagreement)`` of Graph's whatIfAnalysisResults against the offline
    evaluation of the same policies: the policies one says apply and the other does not."""
    names = dict((str(p.get("id", "")).lower(), p.get("displayName")) for p in policies if p.get("id"))
    offline = dict((str(r.id).lower(), r) for r in list(evaluation.enforced) + list(evaluation.report_only)
                   + list(evaluation.not_applied) if getattr(r, "id", None))
    offline_applying = _applying_ids(evaluation)
    summary = {"applies": [], "not_applied": []}
    disagreement = []
    seen = set()
    for result in graph_results:
        key = str(result.get("id", "")).lower()
        seen.add(key)
        name = result.get("displayName") or names.get(key)
        reasons = [r for r in str(result.get("analysisReasons") or "notSet").split(",") if r and r != "notSet"]
        graph_applies = bool(result.get("policyApplies"))
        if graph_applies:
            summary["applies"].append(name)
        else:
            summary["not_applied"].append({"display_name": name, "reasons": reasons})
        if graph_applies != (key in offline_applying):
            mine = offline.get(key)
            disagreement.append({
                "display_name": name, "id": result.get("id"), "graph_applies": graph_applies,
                "offline_applies": key in offline_applying, "graph_reasons": reasons,
                "offline_reason": getattr(mine, "reason", None) if mine is not None else None,
                "offline_detail": getattr(mine, "detail", None) if mine is not None else None,
            })
    for key in sorted(offline_applying - seen):
        mine = offline.get(key)
        disagreement.append({
            "display_name": _name(mine) or names.get(key), "id": getattr(mine, "id", key), "graph_applies": False,
            "offline_applies": True, "graph_reasons": [], "offline_reason": None,
            "offline_detail": "Graph returned no result for this policy",
        })
    return summary, disagreement


def graph_evaluate(graph, bodies):
    """Graph's whatIfAnalysisResults for each body, in one $batch per 20 scenarios."""
    requests_ = [{"method": "POST", "url": EVALUATE, "body": body} for body in bodies]
    answers = graph.batch(requests_, api_version="v1.0")
    out = []
    for answer in answers:
        status = answer.get("status")
        if not isinstance(status, int) or status >= 400:
            fields = parse_graph_error_body(answer.get("body"))
            raise GraphError("POST", graph.url(EVALUATE, api_version="v1.0"), status=status, code=fields.get("code"),
                             message=fields.get("message"), request_id=fields.get("request_id"),
                             client_request_id=fields.get("client_request_id"), date=fields.get("date"))
        out.append(list((answer.get("body") or {}).get("value") or []))
    return out


def compliance_assignments(module, sets, sign_ins):
    """The tenant's assigned compliance policies (``ComplianceAssignments``), read once when a sign-in on a phone
    does not state its compliance and a policy evaluated names ``compliantDevice``; None otherwise, or when the
    application may not read them (a warning says so)."""
    wanted = any(with_compliance(s, ComplianceAssignments([])) != s for s in sign_ins)
    if not wanted or not any(needs_compliant_device(p) for policies in sets.values() for p in policies):
        return None
    try:
        return ComplianceAssignments(list(module.graph.list(COMPLIANCE_COLLECTION, api_version="beta",
                                                            query={"$expand": "assignments"})))
    except GraphError as exc:
        if exc.status not in (401, 403):
            raise
        module.warn("Compliance check skipped: the device compliance policies could not be read (%s); the "
                    "application needs DeviceManagementConfiguration.Read.All for it." % exc.describe())
        return None


# ---------------------------------------------------------------------------------------------
# The task


def run_whatif(module):
    params = module.params
    source = params["source"]
    api_version = params["api_version"]
    use_graph = params["use_graph"]
    if use_graph and source != "live":
        raise PolicyInputError(["use_graph: Graph evaluates the policies stored in the tenant, so it goes with "
                                "source: live only (got source: %s). Accepted: source: live, or use_graph: false."
                                % source])
    if source in ("declared", "both") and params[LIST_OPTION] is None:
        raise PolicyInputError(["%s: source %s evaluates declared policies, and none were given. Accepted: a list "
                                "of policies in the options of conditional_access_policy." % (LIST_OPTION, source)])
    if source == "live":
        for option in (LIST_OPTION, "emergency_access", "pilot_groups"):
            if params.get(option):
                module.warn("%s: ignored with source: live, which evaluates the tenant's policies as they are; use "
                            "source: declared or both to evaluate declared policies." % option)
    scenarios = check_scenarios(params["scenarios"], require_graph_fields=use_graph)
    graph = module.graph
    resolver = NameResolver(graph, api_version=api_version, reference_wait=0)

    sets = {}
    if source == "live":
        sets["live"] = list(PreferUnknownEnumMembers(graph).list(COLLECTION, api_version=api_version))
    elif source == "declared":
        sets["declared"] = declared_only(declared_policies(module, params, resolver, api_version))
    else:
        # The conditional_access_policy module's own plan, in check mode: what the tenant's policies will be.
        plan = plan_policies(module, {LIST_OPTION: module_items(params), "api_version": api_version,
                                      "emergency_access": params.get("emergency_access"),
                                      "purge": params.get("purge"), "purge_name_pattern": params.get("purge_name_pattern")})
        resolver = plan.resolver
        sets["live"] = list(plan.live)
        sets["declared"] = list(plan.predicted)
    named_locations = list(graph.list(NAMED_LOCATIONS, api_version=api_version))

    ScenarioResolver(graph, resolver, named_locations).resolve(scenarios)
    sign_ins = [sign_in(s, UNMANAGED_DEVICE) for s in scenarios]
    assignments = compliance_assignments(module, sets, sign_ins) if params.get("compliance", True) else None
    sign_ins = [with_compliance(s, assignments) for s in sign_ins]
    problems = []
    for scenario, signin in zip(scenarios, sign_ins):
        problems.extend("%s: %s" % (scenario.where("sign_in"), p) for p in sign_in_problems(signin))
    if problems:
        raise ScenarioError(problems)

    graph_answers = None
    if use_graph:
        graph_answers = graph_evaluate(graph, [evaluate_body(s, si) for s, si in zip(scenarios, sign_ins)])

    results = []
    for index, (scenario, signin) in enumerate(zip(scenarios, sign_ins)):
        variants = {}
        evaluations = {}
        for key, policies in sets.items():
            evaluations[key] = evaluate(policies, signin, named_locations=named_locations,
                                        report_only_as_enabled=params["report_only_as_enforced"])
            variants[key] = shaped(evaluations[key], scenario)
        main = "declared" if "declared" in variants else "live"
        entry = {"name": scenario.name, "description": scenario.params.get("description"),
                 "expected": scenario.params.get("expected"),
                 "expected_controls": scenario.values.get("expected_controls")}
        entry.update(variants[main])
        entry["matches_expected"] = matches_expected(variants[main], scenario)
        entry["sign_in"] = signin
        entry["graph"] = None
        entry["disagreement"] = []
        if graph_answers is not None:
            summary, disagreement = compare(evaluations["live"], graph_answers[index], sets["live"])
            entry["graph"] = summary
            entry["disagreement"] = disagreement
        if source == "both":
            entry["live"] = variants["live"]
            entry["declared"] = variants["declared"]
            entry["changed_outcome"] = (variants["live"]["outcome"] != variants["declared"]["outcome"]
                                        or _demands(variants["live"]) != _demands(variants["declared"]))
        results.append(entry)

    summary = {
        "scenarios": len(results),
        "matching_expected": sum(1 for r in results if r["matches_expected"] is True),
        "not_matching_expected": [r["name"] for r in results if r["matches_expected"] is False],
        "disagreements": [r["name"] for r in results if r["disagreement"]],
        "changed_outcome": [r["name"] for r in results if r.get("changed_outcome")],
        "policies": dict((k, len(v)) for k, v in sets.items()),
    }
    return {"changed": False, "scenarios": results, "summary": summary}
