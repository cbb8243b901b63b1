"""Reading Graph, Exchange and sign-in errors, from real and documented error bodies."""
import glob
import json
import os

import pytest

from ansible_collections.tenantguard.m365.plugins.module_utils._base.errors import (
    AuthError, ConfigError, ExchangeError, GraphError, aadsts_code)

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(__file__)), "fixtures", "graph_errors")
URL = "https://graph.microsoft.com/v1.0/identity/conditionalAccess/policies"


def examples():
    found = []
    for path in sorted(glob.glob(os.path.join(FIXTURES, "*.json"))):
        with open(path) as handle:
            example = json.load(handle)
        found.append(pytest.param(example, id=os.path.basename(path)[:-5]))
    return found


@pytest.mark.parametrize("example", examples())
def test_every_documented_error_body_is_read(example):
    response = example["response"]
    body = response["body"]
    status = response.get("status") or 400
    error = GraphError.from_response("GET", URL, status, {}, json.dumps(body))
    expected = body["error"]
    inner = expected.get("innerError") or {}
    assert error.status == status
    assert error.code == expected["code"]
    assert error.request_id == (inner.get("request-id") or inner.get("requestId"))
    assert error.date == inner.get("date")
    assert error.message
    text = error.describe()
    assert text.startswith("GET %s failed: Microsoft Graph answered %d %s" % (URL, status, expected["code"]))
    if error.request_id:
        assert "request-id %s" % error.request_id in text
    assert "What to do:" in text


def load(name):
    with open(os.path.join(FIXTURES, name + ".json")) as handle:
        return json.load(handle)["response"]


def test_intune_json_in_message_is_unwrapped():
    response = load("intune_bad_request_wrapped")
    error = GraphError.from_response("POST", URL, response["status"], {}, json.dumps(response["body"]))
    assert error.message.startswith("An error has occurred - Operation ID (for customer support)")
    assert "_version" not in error.message
    assert "CustomApiErrorPhrase" not in error.describe()


def test_intune_custom_phrase_is_kept():
    wrapped = json.dumps({"_version": 3, "Message": "An error has occurred", "CustomApiErrorPhrase": "TooManyRequests",
                          "RetryAfter": None, "ErrorSourceService": "", "HttpHeaders": "{}"}, indent=2)
    body = {"error": {"code": "TooManyRequests", "message": wrapped.replace("\n", "\r\n")}}
    error = GraphError.from_response("GET", URL, 429, {"Retry-After": "3"}, json.dumps(body))
    assert error.message == "An error has occurred (TooManyRequests)"
    assert error.retry_after == "3"


def test_cut_intune_message_is_left_as_it_is():
    response = load("intune_throttled")
    error = GraphError.from_response("GET", URL, 429, {}, json.dumps(response["body"]))
    assert error.message == response["body"]["error"]["message"]


def test_throttling_sample_keeps_the_outer_code_and_reads_the_inner_one():
    response = load("docs_throttling_sample")
    error = GraphError.from_response("GET", URL, 429, response["headers"], json.dumps(response["body"]))
    assert error.code == "TooManyRequests"
    assert error.inner_code == "429"
    assert error.retry_after == "2.128"
    assert "retry_max_wait" in error.describe()


def test_headers_fill_in_what_the_body_lacks():
    body = {"error": {"code": "AccessDenied", "message": "You cannot perform the requested operation."}}
    headers = {"request-id": "r-1", "client-request-id": "c-1", "Date": "Wed, 25 Nov 2026 10:00:00 GMT"}
    error = GraphError.from_response("PATCH", URL, 403, headers, json.dumps(body))
    assert (error.request_id, error.client_request_id, error.date) == ("r-1", "c-1", "Wed, 25 Nov 2026 10:00:00 GMT")
    assert "permission" in error.hint
    assert error.details()["status"] == 403


def test_extra_fields_in_an_error_are_tolerated():
    body = {"error": {"code": "BadRequest", "message": "1007: nope", "details": [{"x": 1}], "target": "body",
                      "innerError": {"request-id": "r", "date": "d", "something-new": {"a": 1}}}, "other": True}
    error = GraphError.from_response("POST", URL, 400, {}, json.dumps(body))
    assert (error.code, error.message, error.request_id) == ("BadRequest", "1007: nope", "r")


def test_body_that_is_not_json():
    error = GraphError.from_response("GET", URL, 502, {}, "<html><body>Bad gateway</body></html>")
    assert error.code is None
    assert "Bad gateway" in error.message
    assert "502" in error.describe()


def test_connection_failure_reads_as_unreachable():
    error = GraphError("GET", URL, status=None, code="ConnectionError", message="Connection refused")
    assert "could not be reached" in error.describe()
    assert "proxy" in error.describe()


def test_exchange_internal_exception_message_wins():
    body = {"error": {"code": "InternalServerError", "message": "Invalid Operation", "innererror": {
        "message": "Invalid Operation", "type": "x",
        "internalexception": {"message": "The operation couldn't be performed because object 'x' couldn't be found.",
                              "type": "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException"}}}}
    error = ExchangeError.from_response("POST", "https://outlook.office365.com/adminapi/beta/t/InvokeCommand", 404,
                                        {}, json.dumps(body))
    assert error.message == "The operation couldn't be performed because object 'x' couldn't be found."
    assert error.describe().startswith("POST https://outlook.office365.com/adminapi/beta/t/InvokeCommand failed: "
                                       "Exchange Online admin API answered 404")


def test_exchange_details_message_loses_its_type_prefix():
    body = {"error": {"code": "BadRequest", "message": "Invalid Operation", "details": [
        {"code": "Context", "target": "", "message": "|System.Management.Automation.ParameterBindingException|"
                                                     "A parameter cannot be found that matches parameter name 'Foo'."}]}}
    error = ExchangeError.from_response("POST", "https://x/InvokeCommand", 400, {}, json.dumps(body))
    assert error.message == "A parameter cannot be found that matches parameter name 'Foo'."


def test_exchange_403_without_json_explains_the_missing_role():
    error = ExchangeError.from_response("POST", "https://x/InvokeCommand", 403, {}, "\x00" * 12)
    assert "binary" in error.message
    assert "Global Reader" in error.hint and "Exchange Administrator" in error.hint


def test_sign_in_error_names_the_code_and_what_to_do():
    result = {"error": "invalid_client",
              "error_description": "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in "
                                   "the request is the client secret value.\r\nTrace ID: t\r\nCorrelation ID: c",
              "error_codes": [7000215], "trace_id": "t-1", "correlation_id": "c-1", "timestamp": "2026-11-25 10:00:00Z"}
    error = AuthError.from_msal_result("get a token for https://graph.microsoft.com as application a in tenant t",
                                       result)
    text = error.describe()
    assert error.code == 7000215
    assert text.startswith("Could not get a token for https://graph.microsoft.com as application a in tenant t: "
                           "invalid_client: AADSTS7000215: Invalid client secret provided.")
    assert "Trace ID" not in text.split("(")[0]
    assert "trace id t-1" in text and "correlation id c-1" in text
    assert "client_secret" in error.hint


@pytest.mark.parametrize("code, words", [
    (700027, "certificate"), (90002, "tenant_id"), (700016, "client_id"), (65001, "admin consent"),
    (7000112, "admin consent"), (7000222, "expired"),
])
def test_sign_in_hints(code, words):
    error = AuthError("sign in", "AADSTS%d: something went wrong." % code)
    assert error.code == code
    assert words in error.describe()


def test_aadsts_code_is_found_in_any_text():
    assert aadsts_code(None, "no code", "Error: AADSTS90002: Tenant 'x' not found.") == 90002
    assert aadsts_code("nothing") is None


def test_config_error_never_shows_a_secret_value():
    error = ConfigError("client_secret", "is wrong", value="s3cr3t-value", secret=True, accepted="a secret")
    assert "s3cr3t-value" not in error.describe()
    assert error.describe() == "Connection option client_secret: is wrong. Accepted: a secret."
    shown = ConfigError("tenant_id", "is neither a GUID nor a domain name", value="not a tenant")
    assert "'not a tenant'" in shown.describe()


def test_trace_tail_on_the_same_line_is_moved_out_of_the_description():
    result = {"error": "invalid_client", "error_codes": [7000215], "trace_id": "t-2",
              "error_description": "AADSTS7000215: Invalid client secret provided. Trace ID: t-2 Correlation ID: c-2 "
                                   "Timestamp: 2026-11-25 10:00:00Z"}
    error = AuthError.from_msal_result("sign in", result)
    assert error.description == "AADSTS7000215: Invalid client secret provided."
    assert "trace id t-2" in error.describe()


def test_unknown_sign_in_code_points_to_the_lookup_page():
    error = AuthError("sign in", "AADSTS1234567: Something new.")
    assert "https://login.microsoftonline.com/error?code=1234567" in error.describe()
