# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PRIVATE: a TLS failure in words: which endpoint option, what went wrong, what to do.

Not a public API. ``tls_problem(exc, option, url)`` reads the ``ssl`` error inside a requests
``SSLError`` and tells apart a certificate for another host name (``ca_bundle`` cannot help: the
endpoint must be addressed by a name its certificate holds), an expired certificate, and a
certificate that no trusted authority signed (give the private CA in ``ca_bundle``). Certificate
verification has no off switch, and the hint says so rather than suggest one.
"""

from urllib.parse import urlsplit

ENV_IGNORED = "REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE and SSL_CERT_FILE are ignored"


def _host(url):
    try:
        parts = urlsplit(str(url or ""))
    except ValueError:
        return str(url or "")
    return "%s://%s" % (parts.scheme, parts.netloc) if parts.netloc else str(url or "")


def tls_problem(exc, option, url=None):
    """``(problem, hint)``: two sentences for a TLS failure on the endpoint set by ``option``."""
    text = " ".join(str(exc).split()).lower()
    where = "%s (%s)" % (option, _host(url)) if url else option
    if "mismatch" in text or "doesn't match" in text or "not valid for" in text:
        return ("the TLS certificate of %s is trusted but issued for another host name" % where,
                "Set %s to a host name that the certificate names; ca_bundle cannot change a host name check, and "
                "certificate verification cannot be turned off." % option)
    if "expired" in text or "not yet valid" in text:
        return ("the TLS certificate of %s has expired or is not valid yet" % where,
                "The server's certificate must be renewed (or the clock of this machine corrected); certificate "
                "verification cannot be turned off.")
    return ("the TLS certificate of %s is not trusted: no certificate authority in ca_bundle or the system's store "
            "signed it (certificate verify failed)" % where,
            "If %s uses a private certificate authority, give that authority's certificate in ca_bundle "
            "(TENANTGUARD_CA_BUNDLE); %s, and certificate verification cannot be turned off." % (option, ENV_IGNORED))
