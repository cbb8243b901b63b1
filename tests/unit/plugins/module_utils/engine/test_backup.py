"""Backups: the writer (owner-only files, contents, an entry saved before its write and completed
after, a backup that cannot be written stops the write), reading them back, and restoring through
the resource engine against the sandbox, including a run that died between a POST and its answer."""
import json
import os
import stat
import uuid

import pytest

from ansible_collections.tenantguard.m365.plugins.module_utils._engine.backup import (
    BackupFileError, BackupLog, backup_for, load_backup, resolve_backup_dir)
from ansible_collections.tenantguard.m365.plugins.module_utils._restore.restore import RestoreError, Restorer
from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.policies import (
    COLLECTION as CA_COLLECTION)
from ansible_collections.tenantguard.m365.plugins.module_utils._base.errors import ConfigError
from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.named_locations import (
    NamedLocationType, options_to_graph)
from ansible_collections.tenantguard.m365.plugins.module_utils._transport.pacing import Pacer
from ansible_collections.tenantguard.m365.plugins.module_utils._engine.resource import Declared, ResourceEngine
from ansible_collections.tenantguard.m365.plugins.module_utils._transport.retry import RetryPolicy

WRITES = ("POST", "PATCH", "PUT", "DELETE")
TENANT = "contoso.onmicrosoft.com"


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def unique(prefix="Backup"):
    return "%s %s" % (prefix, uuid.uuid4().hex[:8])


def location(name, ranges=("203.0.113.0/24",), **options):
    return options_to_graph(dict(display_name=name, ip_ranges=list(ranges), **options))


# ---------------------------------------------------------------------------------------------
# The writer, without a tenant


def test_backup_directory_option_environment_default_and_off(tmp_path):
    assert resolve_backup_dir(str(tmp_path / "b"), environ={}) == str(tmp_path / "b")
    assert resolve_backup_dir(None, environ={"TENANTGUARD_BACKUP_DIR": str(tmp_path / "env")}) == str(tmp_path / "env")
    assert resolve_backup_dir(None, environ={}) == os.path.expanduser("~/.ansible/tenantguard/backups")
    assert resolve_backup_dir("none", environ={"TENANTGUARD_BACKUP_DIR": str(tmp_path)}) is None
    assert resolve_backup_dir(None, environ={"TENANTGUARD_BACKUP_DIR": "None"}) is None


def test_no_file_until_a_write_is_recorded_then_owner_only_with_the_prior_object(tmp_path):
    log = BackupLog(str(tmp_path / "backups"), TENANT, "tenantguard.m365.named_location")
    assert log.path is None and not (tmp_path / "backups").exists()
    before = {"@odata.type": "#microsoft.graph.ipNamedLocation", "id": "0f1e", "displayName": "Office",
              "createdDateTime": "2026-01-01T00:00:00Z", "isTrusted": True}
    entry = log.record(NamedLocationType(), "v1.0", "update", before=before)
    assert mode(tmp_path / "backups") == 0o700
    assert mode(tmp_path / "backups" / TENANT) == 0o700
    assert os.path.dirname(log.path) == str(tmp_path / "backups" / TENANT)
    assert os.path.basename(log.path).endswith("-named_location-%s.json" % os.path.basename(log.path)[-11:-5])
    assert mode(log.path) == 0o600
    saved = json.loads(open(log.path, encoding="utf-8").read())
    assert saved["format"] == "tenantguard.m365.backup" and saved["version"] == 1
    assert saved["tenant_id"] == TENANT and saved["module"] == "tenantguard.m365.named_location"
    (written,) = saved["entries"]
    assert written["status"] == "pending" and written["action"] == "update"
    assert written["before"] == before  # read-only fields kept: the restore strips them
    assert written["collection"] == "/identity/conditionalAccess/namedLocations" and written["api_version"] == "v1.0"
    log.done(entry)
    assert json.loads(open(log.path, encoding="utf-8").read())["entries"][0]["status"] == "done"
    assert mode(log.path) == 0o600
    assert [n for n in os.listdir(os.path.dirname(log.path)) if not n.endswith(".json")] == []


def test_create_pending_by_name_then_its_id_then_done_and_a_failure_is_recorded(tmp_path):
    log = BackupLog(str(tmp_path), TENANT, "tenantguard.m365.named_location")
    entry = log.record(NamedLocationType(), "v1.0", "create", body={"displayName": "New office"})
    saved = json.loads(open(log.path, encoding="utf-8").read())["entries"][0]
    assert (saved["status"], saved["id"], saved["display_name"], saved["before"]) == (
        "pending", None, "New office", None)
    log.created(entry, "abc-123")
    log.done(entry)
    saved = json.loads(open(log.path, encoding="utf-8").read())["entries"][0]
    assert (saved["status"], saved["id"]) == ("done", "abc-123")
    other = log.record(NamedLocationType(), "v1.0", "delete", before={"id": "x", "displayName": "Old"})
    log.failed(other, ConfigError("field", "went wrong"))
    saved = json.loads(open(log.path, encoding="utf-8").read())["entries"][1]
    assert saved["status"] == "failed" and "went wrong" in saved["error"]


def test_unusable_directory_is_an_error_naming_backup_dir(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    log = BackupLog(str(blocker), TENANT, "m")
    with pytest.raises(ConfigError) as caught:
        log.record(NamedLocationType(), "v1.0", "delete", before={"id": "x", "displayName": "Old"})
    assert caught.value.option == "backup_dir" and str(blocker) in str(caught.value)


def test_backup_for_a_module_one_log_per_task_none_without_option_or_when_off(tmp_path):
    class Settings:
        tenant_id = TENANT

    class Module:
        def __init__(self, params):
            self.params = params
            self.settings = Settings()

    assert backup_for(Module({"state": "present"})) is None
    assert backup_for(Module({"backup_dir": "none"})) is None
    module = Module({"backup_dir": str(tmp_path)})
    log = backup_for(module)
    assert log is backup_for(module) and log.directory == str(tmp_path) and log.tenant_id == TENANT


def test_load_backup_refuses_what_is_not_a_backup(tmp_path):
    path = tmp_path / "x.json"
    path.write_text("{\"hello\": 1}")
    with pytest.raises(BackupFileError, match="is not a backup file"):
        load_backup(str(path))
    path.write_text(json.dumps({"format": "tenantguard.m365.backup", "version": 1, "entries": [
        {"action": "update", "collection": "/identity/conditionalAccess/namedLocations"}]}))
    with pytest.raises(BackupFileError, match="holds no prior object"):
        load_backup(str(path))
    with pytest.raises(BackupFileError, match="does not exist"):
        load_backup(str(tmp_path / "missing.json"))
    link = tmp_path / "link.json"
    link.symlink_to(path)
    with pytest.raises(BackupFileError, match="symbolic link"):
        load_backup(str(link))


# ---------------------------------------------------------------------------------------------
# Against the sandbox


@pytest.fixture
def graph(clients):
    return clients(pacer=Pacer(families=()), retry=RetryPolicy(max_total_wait=20, base_delay=0.1)).graph


def writes(sandbox, since=0):
    return [(r["method"], r["status"]) for r in sandbox.requests()[since:]
            if r["service"] == "graph" and r["method"] in WRITES]


class WatchedLog(BackupLog):
    """A backup log that notes, each time it saves, how many writes the sandbox had received."""

    def __init__(self, sandbox, *args):
        super().__init__(*args)
        self.sandbox = sandbox
        self.saves = []

    def save(self):
        super().save()
        self.saves.append((len(writes(self.sandbox)), [e["status"] for e in self.entries]))


def test_each_entry_is_saved_before_its_write_and_completed_after(graph, graph_sandbox, tmp_path):
    engine = ResourceEngine(graph, NamedLocationType())
    keep, drop = unique(), unique()
    engine.converge(Declared(location(keep)))
    engine.converge(Declared(location(drop)))
    log = WatchedLog(graph_sandbox, str(tmp_path), TENANT, "tenantguard.m365.named_location")
    engine = ResourceEngine(graph, NamedLocationType(), backup=log)
    new = unique()
    start = len(writes(graph_sandbox))
    engine.converge_set([Declared(location(keep, is_trusted=True)), Declared({"displayName": drop}, state="absent"),
                         Declared(location(new))])
    # pending saved with no write sent yet, then done once the write was answered
    statuses = [(count - start, statuses) for count, statuses in log.saves]
    assert statuses == [
        (0, ["pending"]), (1, ["done"]),
        (1, ["done", "pending"]), (2, ["done", "done"]),
        (2, ["done", "done", "pending"]), (3, ["done", "done", "pending"]), (3, ["done", "done", "done"]),
    ]
    entries = load_backup(log.path)["entries"]
    assert [(e["action"], e["display_name"]) for e in entries] == [("update", keep), ("delete", drop), ("create", new)]
    assert entries[0]["before"]["isTrusted"] is False and entries[0]["before"]["createdDateTime"]
    assert entries[1]["before"]["ipRanges"][0]["cidrAddress"] == "203.0.113.0/24"
    assert entries[2]["id"] == engine.by_name(new)[0]["id"]


def test_a_backup_that_cannot_be_written_stops_the_write(graph, graph_sandbox, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    engine = ResourceEngine(graph, NamedLocationType(), backup=BackupLog(str(blocker), TENANT, "m"))
    start = len(graph_sandbox.requests())
    with pytest.raises(ConfigError, match="backup_dir"):
        engine.converge(Declared(location(unique())))
    assert writes(graph_sandbox, start) == []


class DiesAfterPost(BackupLog):
    """The process ends between the POST and recording the new id."""

    def created(self, entry, object_id):
        raise KeyboardInterrupt("killed")


def restorer(graph, tmp_path, check_mode=False, **context):
    return Restorer(lambda: graph, check_mode=check_mode, backup=BackupLog(str(tmp_path / "restores"), TENANT, "r"),
                    context=context)


def test_a_create_whose_id_was_never_recorded_is_found_by_name_and_deleted(graph, graph_sandbox, tmp_path):
    log = DiesAfterPost(str(tmp_path), TENANT, "tenantguard.m365.named_location")
    name = unique()
    with pytest.raises(KeyboardInterrupt):
        ResourceEngine(graph, NamedLocationType(), backup=log).converge(Declared(location(name)))
    (entry,) = load_backup(log.path)["entries"]
    assert (entry["action"], entry["status"], entry["id"], entry["display_name"]) == ("create", "pending", None, name)
    assert ResourceEngine(graph, NamedLocationType()).by_name(name)

    start = len(graph_sandbox.requests())
    targets = restorer(graph, tmp_path, check_mode=True).restore([log.path], TENANT)
    assert [t.change.action for t in targets] == ["delete"] and writes(graph_sandbox, start) == []
    again = restorer(graph, tmp_path)
    again.restore([log.path], TENANT)
    assert writes(graph_sandbox, start) == [("DELETE", 204)]
    assert ResourceEngine(graph, NamedLocationType()).by_name(name) == []
    # The restore kept its own backup: the deleted location, to undo the restore.
    (undo,) = load_backup(again.backup.path)["entries"]
    assert undo["action"] == "delete" and undo["before"]["displayName"] == name
    targets = restorer(graph, tmp_path).restore([log.path], TENANT)
    assert [t.change for t in targets] == [None] and writes(graph_sandbox, start) == [("DELETE", 204)]


def test_update_and_delete_restored_read_back_equal_then_unchanged(graph, graph_sandbox, tmp_path):
    resource = NamedLocationType()
    kept, gone = unique(), unique()
    engine = ResourceEngine(graph, resource)
    engine.converge(Declared(location(kept, ranges=("198.51.100.0/24",), is_trusted=True)))
    engine.converge(Declared(options_to_graph(dict(display_name=gone, countries_and_regions=["fr", "de"],
                                                   include_unknown_countries_and_regions=True))))
    prior = dict((o["displayName"], o) for o in ResourceEngine(graph, resource).objects())
    log = BackupLog(str(tmp_path), TENANT, "tenantguard.m365.named_location")
    ResourceEngine(graph, resource, backup=log).converge_set([
        Declared(location(kept, ranges=("192.0.2.0/24", "2001:db8::/48"), is_trusted=False)),
        Declared({"displayName": gone}, state="absent")])

    start = len(graph_sandbox.requests())
    first = restorer(graph, tmp_path)
    first.restore([log.path], TENANT)
    assert sorted(writes(graph_sandbox, start)) == [("PATCH", 204), ("POST", 201)]
    now = dict((o["displayName"], o) for o in ResourceEngine(graph, resource).objects())
    assert resource.normalise(now[kept]) == resource.normalise(prior[kept]) and now[kept]["id"] == prior[kept]["id"]
    assert resource.normalise(now[gone]) == resource.normalise(prior[gone]) and now[gone]["id"] != prior[gone]["id"]
    assert first.recreated == [{"noun": "named location", "display_name": gone, "old_id": prior[gone]["id"],
                                "new_id": now[gone]["id"]}]
    start = len(graph_sandbox.requests())
    restorer(graph, tmp_path).restore([log.path], TENANT)
    assert writes(graph_sandbox, start) == []


def ca_backup(tmp_path, before, action="delete"):
    path = tmp_path / ("ca-%s.json" % uuid.uuid4().hex[:6])
    path.write_text(json.dumps({"format": "tenantguard.m365.backup", "version": 1, "tenant_id": TENANT,
                                "module": "tenantguard.m365.conditional_access_policy", "started": "2026-11-25T10:00:00Z",
                                "entries": [{"seq": 1, "action": action, "collection": CA_COLLECTION,
                                             "api_version": "v1.0", "noun": "conditional access policy",
                                             "status": "done", "id": before["id"],
                                             "display_name": before["displayName"], "before": before}]}))
    return str(path)


def test_refused_restores_name_the_entry_field_and_value_and_write_nothing(graph, graph_sandbox, tmp_path):
    legacy = {"id": str(uuid.uuid4()), "displayName": unique("Legacy"), "state": "enabledForReportingButNotEnforced",
              "conditions": {"users": {"includeUsers": ["All"]}, "applications": {"includeApplications": ["Office365"]},
                             "clientAppTypes": ["all"]},
              "grantControls": {"operator": "OR", "builtInControls": ["approvedApplication"]}}
    lockout = {"id": str(uuid.uuid4()), "displayName": unique("Admins"), "state": "enabled",
               "conditions": {"users": {"includeRoles": ["62e90394-69f5-4237-9190-012177145e10"]},
                              "applications": {"includeApplications": ["All"]}, "clientAppTypes": ["all"]},
               "grantControls": {"operator": "OR", "builtInControls": ["block"]}}
    start = len(graph_sandbox.requests())
    with pytest.raises(RestoreError) as caught:
        restorer(graph, tmp_path).restore([ca_backup(tmp_path, legacy), ca_backup(tmp_path, lockout)], TENANT)
    text = caught.value.describe()
    assert "2 backup entries cannot be restored, nothing was changed" in text
    assert "entry 1 (conditional access policy %r)" % legacy["displayName"] in text
    assert "grant_controls.built_in_controls contains 'approvedApplication'" in text
    assert "lock every administrator out" in text
    assert writes(graph_sandbox, start) == []
    # The lockout guard gives way to an explicit acknowledgement, as in the policy module.
    path = ca_backup(tmp_path, lockout)
    restorer(graph, tmp_path, acknowledge_lockout_risk=True).restore([path], TENANT)
    assert writes(graph_sandbox, start) == [("POST", 201)]


def test_a_backup_of_another_tenant_is_refused(graph, tmp_path):
    log = BackupLog(str(tmp_path), "fabrikam.onmicrosoft.com", "m")
    log.record(NamedLocationType(), "v1.0", "delete", before={"id": "x", "displayName": "Old"})
    with pytest.raises(BackupFileError, match="was written for tenant 'fabrikam.onmicrosoft.com'"):
        restorer(graph, tmp_path).restore([log.path], TENANT)


def test_authentication_strengths_updated_and_deleted_restored_equal(graph, graph_sandbox, tmp_path):
    from ansible_collections.tenantguard.m365.plugins.module_utils._conditional_access.authentication_strengths import (
        AuthenticationStrengthType)
    resource = AuthenticationStrengthType()
    kept, gone = unique("Strength"), unique("Strength")
    engine = ResourceEngine(graph, resource)
    engine.converge_set([
        Declared({"displayName": kept, "description": "phishing resistant",
                  "allowedCombinations": ["fido2", "windowsHelloForBusiness"]}),
        Declared({"displayName": gone, "allowedCombinations": ["password,microsoftAuthenticatorPush"]})])
    prior = dict((o["displayName"], o) for o in ResourceEngine(graph, resource).objects())
    log = BackupLog(str(tmp_path), TENANT, "tenantguard.m365.authentication_strength_policy")
    ResourceEngine(graph, resource, backup=log).converge_set([
        Declared({"displayName": kept, "description": "changed", "allowedCombinations": ["fido2"]}),
        Declared({"displayName": gone}, state="absent")])
    restorer(graph, tmp_path).restore([log.path], TENANT)
    now = dict((o["displayName"], o) for o in ResourceEngine(graph, resource).objects())
    for name in (kept, gone):
        assert resource.normalise(now[name]) == resource.normalise(prior[name]), name
    start = len(graph_sandbox.requests())
    restorer(graph, tmp_path).restore([log.path], TENANT)
    assert writes(graph_sandbox, start) == []


def test_several_files_go_back_to_the_state_before_the_first(graph, graph_sandbox, tmp_path):
    resource = NamedLocationType()
    name = unique()
    ResourceEngine(graph, resource).converge(Declared(location(name, ranges=("198.51.100.0/24",))))
    (prior,) = ResourceEngine(graph, resource).by_name(name)
    files = []
    for ranges, state in ((("192.0.2.0/24",), "present"), (("203.0.113.0/24",), "present"), ((), "absent")):
        log = BackupLog(str(tmp_path), TENANT, "tenantguard.m365.named_location")
        desired = location(name, ranges=ranges) if state == "present" else {"displayName": name}
        ResourceEngine(graph, resource, backup=log).converge(Declared(desired, state=state))
        files.append(log.path)
    assert ResourceEngine(graph, resource).by_name(name) == []
    # Given in any order, the files are one change set: the first entry of the location says what it was.
    restorer(graph, tmp_path).restore(list(reversed(files)), TENANT)
    (now,) = ResourceEngine(graph, resource).by_name(name)
    assert resource.normalise(now) == resource.normalise(prior)
