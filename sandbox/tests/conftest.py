"""Shared fixtures for the sandbox's own tests: a seeded session sandbox and HTTP helpers."""

import datetime
import uuid

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from tenantguard_sandbox.pytest_plugin import graph_sandbox, graph_sandbox_session  # noqa: F401 (fixtures)
from tenantguard_sandbox.testing import running_sandbox

NAMESPACE = uuid.UUID("0c4f8f7e-1d2b-4c3a-9e8f-7a6b5c4d3e2f")
USER_COUNT = 250
EXCHANGE_DEVICE_COUNT = 1200


def uid(*parts):
    return str(uuid.uuid5(NAMESPACE, "/".join(map(str, parts))))


def make_seed():
    users = []
    for index in range(USER_COUNT):
        users.append({"id": uid("user", index), "displayName": "User %03d" % index, "givenName": "User",
                      "surname": "%03d" % index, "userPrincipalName": "user%03d@contoso.onmicrosoft.com" % index,
                      "mail": "user%03d@contoso.com" % index, "mailNickname": "user%03d" % index,
                      "accountEnabled": index % 10 != 0, "userType": "Member" if index % 50 else "Guest",
                      "department": ("Sales", "Finance", "Engineering")[index % 3]})
    users.append({"id": uid("user", "obrien"), "displayName": "Ciarán O'Brien", "givenName": "Ciarán",
                  "surname": "O'Brien", "userPrincipalName": "ciaran.obrien@contoso.onmicrosoft.com",
                  "mail": "ciaran.obrien@fabrikam.com", "mailNickname": "ciaran.obrien", "accountEnabled": True,
                  "userType": "Member", "department": "Legal"})
    groups = [
        {"id": uid("group", "breakglass"), "displayName": "Break Glass", "mailEnabled": False,
         "mailNickname": "break-glass", "securityEnabled": True, "groupTypes": [],
         "members": ["user001@contoso.onmicrosoft.com", uid("user", 2)]},
        {"id": uid("group", "nested"), "displayName": "Nested Team", "mailEnabled": False,
         "mailNickname": "nested-team", "securityEnabled": True, "groupTypes": [], "members": [uid("user", 3)]},
        {"id": uid("group", "staff"), "displayName": "All Staff", "mailEnabled": True, "mailNickname": "all-staff",
         "securityEnabled": False, "groupTypes": ["Unified"],
         "members": [uid("user", i) for i in range(10, 20)] + [uid("group", "nested")]},
    ]
    devices = [{"id": uid("device", i), "deviceId": uid("deviceId", i), "displayName": "PHONE-%02d" % i,
                "operatingSystem": ("iOS", "Android")[i % 2], "operatingSystemVersion": "17.%d" % i,
                "accountEnabled": True, "trustType": "Workplace"} for i in range(6)]
    exchange = []
    for i in range(EXCHANGE_DEVICE_COUNT):
        outlook = i % 3 != 0
        exchange.append({
            "Guid": uid("eas", i), "Identity": "user%03d\\ExchangeActiveSyncDevices\\REST§Outlook§%032x" % (i % 250, i),
            "DeviceId": "%032x" % i, "FriendlyName": "Phone %d" % i,
            "DeviceModel": "Outlook for iOS and Android" if outlook else "iPhone",
            "DeviceOS": "iOS 17.%d" % (i % 6), "DeviceType": "Outlook" if outlook else "iPhone",
            "ClientType": "Outlook" if outlook else "EAS", "DeviceAccessState": "Allowed",
            "UserDisplayName": "User %03d" % (i % 250), "FirstSyncTime": None,
        })
    managed = [{"id": uid("managed", i), "deviceName": "md-%d" % i, "operatingSystem": ("iOS", "Android")[i % 2],
                "complianceState": "compliant", "userPrincipalName": "user%03d@contoso.onmicrosoft.com" % i}
               for i in range(7)]
    return {"users": users, "groups": groups, "devices": devices, "exchangeMobileDevices": exchange,
            "managedDevices": managed, "directoryRoles": [{"displayName": "Exchange Administrator",
                                                            "members": [uid("user", 5)]}]}


@pytest.fixture(scope="session")
def seed_document():
    return make_seed()


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory, seed_document):
    """One seeded sandbox for read-mostly tests (tests that change faults reset them)."""
    with running_sandbox(tmp_path_factory.mktemp("seeded-sandbox"), seed=seed_document) as running:
        yield running


class Client:
    """A tiny Graph client for tests: a session trusting the sandbox CA and a bearer token."""

    def __init__(self, sb, token):
        self.sb = sb
        self.session = sb.session()
        self.token = token

    def url(self, path):
        return path if path.startswith("https://") else self.sb.base_url + path

    def request(self, method, path, headers=None, **kwargs):
        all_headers = {"Authorization": "Bearer " + self.token} if self.token else {}
        all_headers.update(headers or {})
        return self.session.request(method, self.url(path), headers=all_headers, timeout=30, **kwargs)

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, **kwargs):
        return self.request("POST", path, **kwargs)

    def patch(self, path, **kwargs):
        return self.request("PATCH", path, **kwargs)

    def delete(self, path, **kwargs):
        return self.request("DELETE", path, **kwargs)


@pytest.fixture(scope="session")
def graph(sandbox):
    """A Graph client with the built-in application's token (every permission)."""
    return Client(sandbox, sandbox.token())


@pytest.fixture(scope="session")
def client_for(sandbox):
    """``client_for(permissions, scope)``: a client for a new application with those permissions."""
    def make(permissions, scope="https://graph.microsoft.com/.default"):
        app = sandbox.seed_app(permissions=permissions)
        return Client(sandbox, sandbox.token(scope=scope, client_id=app["appId"], secret=app["secret"]))
    return make


def assert_graph_error(response, status, code, message=None):
    """The response is Graph's error envelope with this status, code (and message, if given)."""
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code, error
    if message is not None:
        assert error["message"] == message, error
    inner = error["innerError"]
    assert inner["request-id"] == response.headers["request-id"]
    assert inner["client-request-id"] == response.headers["client-request-id"]
    assert inner["date"]
    return error


def make_certificate(common_name="tenantguard test", days=365, not_before_days=-1):
    """``(private key PEM, certificate PEM, certificate object, key object)`` for a new RSA certificate."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now + datetime.timedelta(days=not_before_days))
            .not_valid_after(now + datetime.timedelta(days=days))
            .sign(key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    cert_pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    return key_pem, cert_pem, cert, key
