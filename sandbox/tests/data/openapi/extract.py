"""Cut the slice of Microsoft's OpenAPI description that the conformance test needs.

Input: the per-module OpenAPI documents Microsoft publishes with the Graph PowerShell SDK
(``openApiDocs/<version>/<Module>.yml``, generated from microsoftgraph/msgraph-metadata), read from a checkout of
that repository. Output: ``graph_openapi_slice.json`` beside this file: for each modelled path and version, the
schema of its ``GET`` 200 response, and every component schema it reaches, navigation properties left out (a plain
GET does not return them). Run: ``python extract.py CHECKOUT COMMIT``; the output names its source.
"""

import json
import os
import re
import subprocess
import sys

import yaml

MODULES = ("Identity.SignIns", "Devices.CorporateManagement", "DeviceManagement", "DeviceManagement.Administration",
           "Identity.DirectoryManagement", "Users", "Groups", "Applications")
PATHS = (
    "/identity/conditionalAccess/policies", "/identity/conditionalAccess/policies/{id}",
    "/identity/conditionalAccess/namedLocations", "/identity/conditionalAccess/namedLocations/{id}",
    "/identity/conditionalAccess/authenticationStrength/policies",
    "/identity/conditionalAccess/authenticationStrength/policies/{id}",
    "/identity/conditionalAccess/templates", "/identity/conditionalAccess/authenticationContextClassReferences",
    "/deviceAppManagement/iosManagedAppProtections", "/deviceAppManagement/iosManagedAppProtections/{id}",
    "/deviceAppManagement/iosManagedAppProtections/{id}/apps",
    "/deviceAppManagement/iosManagedAppProtections/{id}/assignments",
    "/deviceAppManagement/androidManagedAppProtections", "/deviceAppManagement/androidManagedAppProtections/{id}",
    "/deviceAppManagement/androidManagedAppProtections/{id}/apps",
    "/deviceAppManagement/androidManagedAppProtections/{id}/assignments",
    "/deviceAppManagement/targetedManagedAppConfigurations",
    "/deviceAppManagement/targetedManagedAppConfigurations/{id}",
    "/deviceAppManagement/targetedManagedAppConfigurations/{id}/apps",
    "/deviceAppManagement/targetedManagedAppConfigurations/{id}/assignments",
    "/deviceAppManagement/managedAppPolicies",
    "/deviceManagement/managedDevices", "/deviceManagement/managedDevices/{id}",
    "/deviceManagement/roleScopeTags", "/deviceManagement/roleScopeTags/{id}",
    "/deviceManagement/roleScopeTags/{id}/assignments",
    "/directoryRoleTemplates", "/directoryRoleTemplates/{id}", "/directoryRoles",
    "/users", "/users/{id}", "/groups", "/groups/{id}", "/servicePrincipals", "/applications", "/devices",
)
KEY = re.compile(r"\{[^}]+\}")


def load(path):
    with open(path, encoding="utf-8") as handle:
        return yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def prune(schema):
    """The schema without navigation properties (``x-ms-navigationProperty``), descriptions and examples."""
    if isinstance(schema, dict):
        out = {}
        for key, value in schema.items():
            if key in ("description", "example", "x-ms-enum", "externalDocs"):
                continue
            if key == "properties" and isinstance(value, dict):
                out[key] = {k: prune(v) for k, v in value.items()
                            if not (isinstance(v, dict) and v.get("x-ms-navigationProperty"))}
            else:
                out[key] = prune(value)
        return out
    if isinstance(schema, list):
        return [prune(item) for item in schema]
    return schema


def refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from refs(item)


def slice_version(directory, version):
    documents = [load(os.path.join(directory, "openApiDocs", version, m + ".yml")) for m in MODULES]
    components = {"schemas": {}, "responses": {}}
    for doc in documents:
        for kind in components:
            for name, value in (doc.get("components", {}).get(kind) or {}).items():
                components[kind].setdefault(name, value)
    paths = {}
    for doc in documents:
        for template, item in (doc.get("paths") or {}).items():
            normalised = KEY.sub("{id}", template)
            responses = (item.get("get") or {}).get("responses", {}) if isinstance(item, dict) else {}
            success = responses.get("200") or responses.get("2XX")
            if normalised in PATHS and normalised not in paths and success:
                paths[normalised] = prune(success)
    wanted, todo = {"schemas": {}, "responses": {}}, [r for p in paths.values() for r in refs(p)]
    while todo:
        ref = todo.pop()
        _, _, kind, name = ref.split("/", 3)
        if name in wanted[kind] or name not in components[kind]:
            continue
        wanted[kind][name] = prune(components[kind][name])
        todo.extend(refs(wanted[kind][name]))
    return {"paths": paths, "components": wanted}


def main(directory, commit):
    out = {"source": {"repository": "microsoftgraph/msgraph-sdk-powershell (openApiDocs, Microsoft's OpenAPI "
                                    "descriptions of Graph per module, generated from microsoftgraph/msgraph-metadata)",
                      "commit": commit, "modules": list(MODULES),
                      "note": "GET 200 response schemas of the modelled paths and the component schemas they reach; "
                              "navigation properties (x-ms-navigationProperty) left out. Cut by extract.py."}}
    for version in ("v1.0", "beta"):
        out[version] = slice_version(directory, version)
    target = os.path.join(os.path.dirname(os.path.abspath(__file__)), "graph_openapi_slice.json")
    with open(target, "w", encoding="utf-8") as handle:
        json.dump(out, handle, indent=None, separators=(",", ":"), sort_keys=True)
        handle.write("\n")
    return out


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
