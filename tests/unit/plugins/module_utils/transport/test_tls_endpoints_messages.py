"""How a TLS failure is worded: the endpoint option, what went wrong and what to do, for the three kinds
of certificate failure a client meets (the end-to-end cases are in tests/e2e/test_tls_endpoints.py)."""
import ssl

import pytest

from ansible_collections.tenantguard.m365.plugins.module_utils._transport.tls_errors import tls_problem

UNTRUSTED = ("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local issuer certificate "
             "(_ssl.c:1006)")
OTHER_NAME = ("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: Hostname mismatch, certificate is not "
              "valid for 'graph.contoso.example'. (_ssl.c:1006)")
OTHER_ADDRESS = ("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: IP address mismatch, certificate is not "
                 "valid for '127.0.0.1'. (_ssl.c:1006)")
EXPIRED = "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: certificate has expired (_ssl.c:1006)"


@pytest.mark.parametrize("text", [OTHER_NAME, OTHER_ADDRESS])
def test_another_host_name_says_ca_bundle_cannot_help(text):
    problem, hint = tls_problem(ssl.SSLCertVerificationError(1, text), "graph_endpoint",
                                "https://graph.contoso.example:8443/v1.0/users?$top=1")
    assert problem == ("the TLS certificate of graph_endpoint (https://graph.contoso.example:8443) is trusted but "
                       "issued for another host name")
    assert hint.startswith("Set graph_endpoint to a host name that the certificate names")
    assert "ca_bundle cannot" in hint and "cannot be turned off" in hint


def test_an_untrusted_authority_points_to_ca_bundle_and_says_the_environment_is_ignored():
    problem, hint = tls_problem(ssl.SSLCertVerificationError(1, UNTRUSTED), "login_endpoint", "https://login.example")
    assert problem.startswith("the TLS certificate of login_endpoint (https://login.example) is not trusted")
    assert "certificate verify failed" in problem
    assert "give that authority's certificate in ca_bundle" in hint
    assert "REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE and SSL_CERT_FILE are ignored" in hint


def test_an_expired_certificate_is_not_sent_to_ca_bundle():
    problem, hint = tls_problem(ssl.SSLCertVerificationError(1, EXPIRED), "exchange_endpoint")
    assert problem == "the TLS certificate of exchange_endpoint has expired or is not valid yet"
    assert "ca_bundle" not in hint and "renewed" in hint
