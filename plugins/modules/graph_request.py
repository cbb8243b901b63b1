#!/usr/bin/python
# Copyright (c) TenantGuard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
module: graph_request
short_description: Send a request to Microsoft Graph
version_added: 0.1.0
description:
  - Sends one request to Microsoft Graph, signed with the collection's connection settings, and returns the
    answer. It is the escape hatch for what no other module of the collection covers, in the manner of
    M(ansible.builtin.uri).
  - Throttled and briefly failing requests are retried, honouring C(Retry-After); conditional access requests
    are paced to the tenant's limit; a POST is never sent twice.
  - With O(all_pages=true), a GET follows C(@odata.nextLink) and returns every item of the collection.
  - The module cannot know whether a request changes anything, so every successful request other than a GET
    reports a change. Prefer the collection's resource modules, which compare before they write.
author:
  - TenantGuard contributors (@tenantguard)
options:
  method:
    description:
      - The HTTP method.
    type: str
    choices: [GET, POST, PATCH, PUT, DELETE]
    default: GET
  path:
    description:
      - The resource path relative to the version root, such as V(/users) or
        V(/identity/conditionalAccess/policies/00000000-0000-0000-0000-000000000000).
      - An absolute URL is accepted if it lies under the configured Graph endpoint, for example an
        C(@odata.nextLink) returned by an earlier request.
    type: str
    required: true
  api_version:
    description:
      - The Graph version; some properties and endpoints exist only in V(beta).
    type: str
    choices: [v1.0, beta]
    default: v1.0
  query:
    description:
      - Query parameters, such as C($filter), C($select) or C($top). Lists are joined with commas.
    type: dict
  headers:
    description:
      - Extra request headers, such as C(ConsistencyLevel=eventual) for advanced directory queries.
      - C(Authorization) and C(client-request-id) are set by the module and cannot be given.
    type: dict
  body:
    description:
      - The request body for V(POST), V(PATCH) and V(PUT), sent as JSON. A string is parsed as JSON.
    type: raw
  all_pages:
    description:
      - With O(method=GET), follow C(@odata.nextLink) and return every item of every page in RV(items).
      - Every page must answer with a 2xx status.
    type: bool
    default: false
  status_code:
    description:
      - The statuses that count as success; any other fails the task.
      - If not set, any 2xx status is a success.
      - Cannot be combined with O(all_pages).
    type: list
    elements: int
extends_documentation_fragment:
  - tenantguard.m365.connection
  - tenantguard.m365.attributes.actiongroup_m365
attributes:
  check_mode:
    description:
      - A V(GET) runs in check mode, since it changes nothing.
      - Any other method is not sent; the task reports the change it would make.
    support: partial
    details:
      - Only V(GET) requests are sent in check mode; the answer a write would get is not predicted.
  diff_mode:
    description:
      - Shows the body that is sent (or would be sent). For V(PATCH), V(PUT) and V(DELETE), the object at O(path)
        is read first and shown as the state before.
    support: full
notes:
  - Responses may carry properties that no schema declares; they are returned as they are.
seealso:
  - name: Microsoft Graph REST API reference
    description: The paths, bodies and permissions of every Graph endpoint.
    link: https://learn.microsoft.com/graph/api/overview
  - module: ansible.builtin.uri
'''

EXAMPLES = r'''
- name: List every user, 999 per page
  tenantguard.m365.graph_request:
    path: /users
    query:
      $select: id,displayName,userPrincipalName
      $top: 999
    all_pages: true
  register: users

- name: Count the groups whose name starts with 'Mobile'
  tenantguard.m365.graph_request:
    path: /groups/$count
    query:
      $filter: startswith(displayName,'Mobile')
    headers:
      ConsistencyLevel: eventual

- name: Create a trusted named location
  tenantguard.m365.graph_request:
    method: POST
    path: /identity/conditionalAccess/namedLocations
    body:
      "@odata.type": "#microsoft.graph.ipNamedLocation"
      displayName: Head office
      isTrusted: true
      ipRanges:
        - "@odata.type": "#microsoft.graph.iPv4CidrRange"
          cidrAddress: 203.0.113.0/24
  register: location

- name: Read a beta-only property of a policy, accepting that it may be gone
  tenantguard.m365.graph_request:
    path: "/identity/conditionalAccess/policies/{{ policy_id }}"
    api_version: beta
    status_code: [200, 404]
  register: policy

- name: Delete the named location
  tenantguard.m365.graph_request:
    method: DELETE
    path: "/identity/conditionalAccess/namedLocations/{{ location.json.id }}"

- name: Use explicit connection settings for every task of the group
  module_defaults:
    group/tenantguard.m365.m365:
      tenant_id: contoso.onmicrosoft.com
      client_id: 00000000-0000-0000-0000-000000000000
      client_certificate_path: /etc/tenantguard/app.pem
  block:
    - name: Read the organisation
      tenantguard.m365.graph_request:
        path: /organization
'''

RETURN = r'''
status:
  description: The HTTP status of the answer (of the first page with O(all_pages)).
  returned: when the request was sent
  type: int
  sample: 200
json:
  description:
    - The JSON body of the answer, or null if it had none (for example after a 204).
    - With O(all_pages), the first page's body without C(value) and C(@odata.nextLink); the items are in
      RV(items).
  returned: when the request was sent
  type: raw
  sample: {"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users", "value": []}
items:
  description: Every item of every page.
  returned: when O(all_pages=true)
  type: list
  elements: dict
  sample: [{"id": "2d5f1b2c-0000-4000-8000-000000000001", "displayName": "Adele Vance"}]
headers:
  description: The response headers, with lower-case names; cookies are left out.
  returned: when the request was sent
  type: dict
  sample: {"request-id": "9b600954-ba11-4899-8ce9-6abad341f299", "content-type": "application/json"}
request_id:
  description: Graph's C(request-id) of the answer, to quote to Microsoft support.
  returned: when the request was sent
  type: str
  sample: 9b600954-ba11-4899-8ce9-6abad341f299
url:
  description: The URL the request was (or would have been) sent to.
  returned: always
  type: str
  sample: https://graph.microsoft.com/v1.0/users?$top=999
method:
  description: The HTTP method.
  returned: always
  type: str
  sample: GET
pages:
  description: How many pages were read.
  returned: when O(all_pages=true)
  type: int
  sample: 3
msg:
  description: What check mode did instead of sending the request.
  returned: in check mode, for methods other than GET
  type: str
  sample: "Check mode: the POST request was not sent."
'''

import json

from ansible_collections.tenantguard.m365.plugins.module_utils._base.errors import ConfigError, GraphError
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.module import TenantGuardModule

# Response headers never returned: they could carry session material.
HIDDEN_HEADERS = frozenset(["set-cookie", "cookie", "authorization", "proxy-authorization", "www-authenticate"])


def argument_spec():
    return dict(
        method=dict(type="str", default="GET", choices=["GET", "POST", "PATCH", "PUT", "DELETE"]),
        path=dict(type="str", required=True),
        api_version=dict(type="str", default="v1.0", choices=["v1.0", "beta"]),
        query=dict(type="dict"),
        headers=dict(type="dict"),
        body=dict(type="raw"),
        all_pages=dict(type="bool", default=False),
        status_code=dict(type="list", elements="int"),
    )


def visible_headers(headers):
    return dict((str(k).lower(), v) for k, v in (headers or {}).items() if str(k).lower() not in HIDDEN_HEADERS)


def check_path(path):
    """Refuse a path that would not address exactly what it reads as: control characters (a header could be
    smuggled), a fragment, dot segments (a server may resolve /groups/../policies to another collection) or a
    leading // (another host)."""
    text = str(path or "")
    accepted = ("a path such as /identity/conditionalAccess/policies/{id}, without . or .. segments, # or control "
                "characters")
    if any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise ConfigError("path", "holds a control character (a line break or tab)", value=text, accepted=accepted,
                          kind="Option")
    if "#" in text:
        raise ConfigError("path", "holds a # (a URL fragment, which is never sent)", value=text, accepted=accepted,
                          kind="Option")
    bare = text.strip()
    if "://" not in bare and bare.startswith("//"):
        raise ConfigError("path", "starts with // (a URL of another host)", value=text, accepted=accepted,
                          kind="Option")
    segments = bare.split("?", 1)[0].split("://", 1)[-1].split("/")
    if any(segment in (".", "..") for segment in segments):
        raise ConfigError("path", "has a . or .. segment", value=text, accepted=accepted, kind="Option")


def request_body(params):
    body = params["body"]
    if isinstance(body, str):
        try:
            body = json.loads(body)
        except ValueError as exc:
            raise ConfigError("body", "is a string that is not JSON (%s)" % exc,
                              accepted="a dict, a list, or a JSON string", kind="Option")
    if body is not None and not isinstance(body, (dict, list)):
        raise ConfigError("body", "is a %s, not a JSON object or array" % type(body).__name__, value=body,
                          accepted="a dict, a list, or a JSON string of one", kind="Option")
    if body is not None and params["method"] in ("GET", "DELETE"):
        raise ConfigError("body", "is set but a %s request carries no body" % params["method"],
                          accepted="body with POST, PATCH or PUT only", kind="Option")
    return body


def current_state(graph, params):
    """The object at path before a write, for the diff; {} when it cannot be read."""
    if params["method"] == "POST":
        return {}
    try:
        current = graph.request("GET", params["path"], api_version=params["api_version"], query=None,
                                headers=params["headers"])
    except GraphError:
        return {}
    if not isinstance(current.json, dict):
        return {}
    return dict((k, v) for k, v in current.json.items() if k != "@odata.context")


def predicted_state(before, params, body):
    method = params["method"]
    if method == "DELETE":
        return {}
    if method == "PATCH" and isinstance(body, dict):
        after = dict(before)
        after.update(body)
        return after
    return body if body is not None else {}


def run(module):
    params = module.params
    method = params["method"]
    if params["all_pages"] and method != "GET":
        raise ConfigError("all_pages", "applies to GET requests only, not %s" % method,
                          accepted="all_pages with method GET", kind="Option")
    if params["all_pages"] and params["status_code"]:
        raise ConfigError("status_code", "cannot be combined with all_pages: every page must answer 2xx",
                          accepted="status_code without all_pages", kind="Option")
    check_path(params["path"])
    body = request_body(params)
    graph = module.graph
    url = graph.url(params["path"], params["api_version"], params["query"])
    result = dict(changed=False, method=method, url=url)

    if method != "GET" and module.diff_mode:
        before = current_state(graph, params)
        result["diff"] = dict(before=before, after=predicted_state(before, params, body),
                              before_header="%s (current)" % params["path"],
                              after_header="%s %s" % (method, params["path"]))

    if method != "GET" and module.check_mode:
        result.update(changed=True, msg="Check mode: the %s request was not sent." % method)
        return result

    if params["all_pages"]:
        items = []
        first = None
        count = 0
        for page in graph.pages(params["path"], api_version=params["api_version"], query=params["query"],
                                headers=params["headers"]):
            count += 1
            first = first or page
            value = page.json.get("value") if isinstance(page.json, dict) else None
            if not isinstance(value, list):
                raise ConfigError("all_pages", "was set but %s is not a collection (its answer has no 'value' list)"
                                  % params["path"], accepted="all_pages with a collection path", kind="Option")
            items.extend(value)
        meta = dict((k, v) for k, v in first.json.items() if k not in ("value", "@odata.nextLink"))
        result.update(status=first.status, json=meta, items=items, pages=count, headers=visible_headers(first.headers),
                      request_id=first.request_id)
        return result

    accept = set(params["status_code"]) if params["status_code"] else None
    response = graph.request(method, params["path"], api_version=params["api_version"], query=params["query"],
                             body=body, headers=params["headers"], accept=accept)
    result.update(status=response.status, json=response.json, headers=visible_headers(response.headers),
                  request_id=response.request_id)
    result["changed"] = method != "GET" and 200 <= response.status < 300
    return result


def main():
    module = TenantGuardModule(
        argument_spec=argument_spec(),
        supports_check_mode=True,
    )
    module.run(run)


if __name__ == "__main__":
    main()
