"""``deploymentSummary`` of an Intune MAM policy: who the policy reaches and through which apps.

Graph computes it in the background; the sandbox derives it from the policy's assignments (users of
the included groups, transitively, minus those of the excluded groups) and its apps at read time.
The documentation wraps the entity in ``{"value": ...}``, a documentation artefact: the entity is
returned bare, as for every single-entity GET.
"""

from .messages import iso_now


def _users(directory, group_id):
    return set(m["id"] for m in directory.typed_members("groupMembers", group_id, transitive=True)
               if m.get("@odata.type") == "#microsoft.graph.user")


def deployment_summary(directory, policy):
    """The managedAppPolicyDeploymentSummary of ``policy`` (a stored policy with apps and assignments)."""
    included, excluded = set(), set()
    for assignment in policy.get("assignments") or []:
        target = assignment.get("target") or {}
        group = target.get("groupId")
        if not group:
            continue
        members = _users(directory, group) if directory is not None else set()
        if "exclusion" in str(target.get("@odata.type", "")).lower():
            excluded |= members
        else:
            included |= members
    reached = len(included - excluded)
    per_app = [{"mobileAppIdentifier": dict(app.get("mobileAppIdentifier") or {}),
                "configurationAppliedUserCount": reached}
               for app in policy.get("apps") or []]
    return {"@odata.type": "#microsoft.graph.managedAppPolicyDeploymentSummary",
            "id": policy["id"], "displayName": policy.get("displayName"),
            "configurationDeployedUserCount": reached, "lastRefreshTime": iso_now(),
            "configurationDeploymentSummaryPerApp": per_app, "version": policy.get("version")}
