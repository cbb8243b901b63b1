"""Authentication strengths: built-ins, create, PATCH, updateAllowedCombinations, and the documented examples.

Where the documented responses disagree with other sources:
* the create response shows ``"@odata.type": "authenticationStrengthPolicy"`` (not namespace-qualified, a
  known documentation quirk) and echoes ``"password, hardwareOath"`` with a space; the list response and
  behavior.md section 9 show the server's normalised ``"password,hardwareOath"``, which the sandbox returns;
* the updateAllowedCombinations response echoes ``"password, voice"``; the sandbox normalises the same way;
* the two list examples differ: example 2 (filtered) lacks ``password,x509CertificateSingleFactor`` and
  ``password,x509CertificateMultiFactor``; the built-ins follow example 1, the complete list.
"""

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tenantguard_sandbox.errors import GraphHTTPError
from tenantguard_sandbox.validation import (
    builtin_authentication_strengths, create_authentication_strength, render_authentication_strength,
    update_allowed_combinations, update_authentication_strength)

EXAMPLES = Path(__file__).parent / "examples" / "authentication_strengths"


def load(name):
    return json.loads((EXAMPLES / name).read_text())


def refused(call, *args, **kwargs):
    with pytest.raises(GraphHTTPError) as caught:
        call(*args, **kwargs)
    assert caught.value.status == 400
    return caught.value


def custom(**extra):
    body = {"displayName": "Contoso authentication level", "allowedCombinations": ["fido2", "password, sms"]}
    body.update(extra)
    return body


def test_builtins_are_the_documented_three():
    documented = load("v10__authenticationstrengthroot-list-policies__1.json")["response"]["body"]["value"]
    rendered = [render_authentication_strength("v1.0", s, with_context=False)
                for s in builtin_authentication_strengths()]
    assert rendered == documented
    assert [s["id"][-1] for s in rendered] == ["2", "3", "4"]
    assert all(s["policyType"] == "builtIn" for s in rendered)


def test_documented_create_is_accepted_and_rendered():
    example = load("v10__authenticationstrengthroot-post-policies__1.json")
    stored = create_authentication_strength("v1.0", example["request"]["body"])
    rendered = render_authentication_strength("v1.0", stored)
    documented = example["response"]["body"]
    for key in ("displayName", "description", "policyType", "requirementsSatisfied", "combinationConfigurations"):
        assert rendered[key] == documented[key]
    assert rendered["allowedCombinations"] == [c.replace(" ", "") for c in documented["allowedCombinations"]]
    assert rendered["createdDateTime"] == rendered["modifiedDateTime"]
    assert rendered["@odata.context"] == "https://graph.microsoft.com/v1.0/$metadata#policies/authenticationStrengthPolicies/$entity"


def test_beta_create_example_is_accepted():
    stored = create_authentication_strength("beta", load("beta__authenticationstrengthroot-post-policies__1.json")
                                            ["request"]["body"])
    assert stored["policyType"] == "custom" and stored["requirementsSatisfied"] == "mfa"


def test_combinations_are_normalised_like_the_service():
    stored = create_authentication_strength("v1.0", custom(allowedCombinations=["SMS, password", "fido2", "password,sms"]))
    assert stored["allowedCombinations"] == ["password,sms", "fido2"]


def test_single_factor_combinations_do_not_satisfy_mfa():
    assert create_authentication_strength("v1.0", custom(allowedCombinations=["password"]))["requirementsSatisfied"] == "none"


@pytest.mark.parametrize("body, code", [
    (custom(allowedCombinations=["password,pigeon"]), "RequestBodyRead"),
    (custom(policyType="builtIn"), "RequestBodyRead"),
    (custom(requirementsSatisfied="mfa"), "RequestBodyRead"),
    (custom(id="dd055c42-4218-4281-8631-f090e171f5cd"), "RequestBodyRead"),
    (custom(colour="blue"), "RequestBodyRead"),
    (custom(allowedCombinations=[]), "BadRequest"),
    ({"allowedCombinations": ["fido2"]}, "BadRequest"),
])
def test_bad_create_bodies(body, code):
    assert refused(create_authentication_strength, "v1.0", body).code == code


def test_documented_patch_changes_only_name_and_description():
    stored = create_authentication_strength("v1.0", custom())
    patch = load("v10__authenticationstrengthpolicy-update__1.json")["request"]["body"]
    later = datetime.now(timezone.utc) + timedelta(minutes=1)
    updated = update_authentication_strength("v1.0", stored, patch, now=later)
    assert (updated["displayName"], updated["description"]) == (patch["displayName"], patch["description"])
    assert updated["allowedCombinations"] == stored["allowedCombinations"]
    assert updated["modifiedDateTime"] > stored["createdDateTime"] == updated["createdDateTime"]


@pytest.mark.parametrize("patch", [{"allowedCombinations": ["fido2"]}, {"policyType": "builtIn"},
                                   {"requirementsSatisfied": "none"}])
def test_patch_of_anything_else_is_refused(patch):
    error = refused(update_authentication_strength, "v1.0", create_authentication_strength("v1.0", custom()), patch)
    assert error.code == "BadRequest" and "displayName and description" in error.message


def test_builtin_strengths_are_read_only():
    builtin = builtin_authentication_strengths()[0]
    assert "Built-in" in refused(update_authentication_strength, "v1.0", builtin, {"displayName": "x"}).message
    refused(update_allowed_combinations, "v1.0", builtin, {"allowedCombinations": ["fido2"]})


def test_documented_update_allowed_combinations():
    example = load("v10__authenticationstrengthpolicy-updateallowedcombinations__1.json")
    documented = example["response"]["body"]
    stored = create_authentication_strength("v1.0", custom(displayName="My Custom Strength",
                                                           allowedCombinations=documented["previousCombinations"]))
    updated, result = update_allowed_combinations(
        "v1.0", stored, example["request"]["body"],
        conditional_access_references=documented["conditionalAccessReferences"])
    normalise = lambda values: [v.replace(" ", "") for v in values]  # noqa: E731
    assert result == dict(documented, previousCombinations=normalise(documented["previousCombinations"]),
                          currentCombinations=normalise(documented["currentCombinations"]))
    assert updated["allowedCombinations"] == ["password,voice"]


def test_update_allowed_combinations_without_references_has_no_notice_and_refuses_bad_input():
    stored = create_authentication_strength("v1.0", custom())
    _updated, result = update_allowed_combinations("v1.0", stored, {"allowedCombinations": ["fido2"]})
    assert result["conditionalAccessReferences"] == [] and result["additionalInformation"] is None
    assert refused(update_allowed_combinations, "v1.0", stored, {"allowedCombinations": ["nope"]}).code == \
        "RequestBodyRead"
    error = refused(update_allowed_combinations, "v1.0", stored, {"allowedCombinations": ["fido2"], "x": 1})
    assert error.message == ("The parameter 'x' in the request payload is not a valid parameter for the operation "
                             "'updateAllowedCombinations'.")
