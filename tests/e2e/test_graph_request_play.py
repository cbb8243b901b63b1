"""ansible-playbook runs graph_request against the sandbox: normal, check and diff modes, one token per play."""
import json

from conftest import SEED

GRAPH_WRITES = ("POST", "PATCH", "PUT", "DELETE")


def graph_requests(sandbox, methods=None):
    return [r for r in sandbox.requests() if r["service"] == "graph" and (methods is None or r["method"] in methods)]


def token_requests(sandbox):
    return [r for r in sandbox.requests() if r["service"] == "login" and r["path"].endswith("/oauth2/v2.0/token")]


def test_normal_run_pages_creates_updates_and_deletes(run_playbook, graph_sandbox):
    run = run_playbook("graph_request_crud.yml")
    assert run.rc == 0, run
    # POST, PATCH and DELETE report a change; the GETs do not.
    assert run.recap["changed"] == 3, run
    seen = run.output("crud")
    upns = sorted(u["userPrincipalName"] for u in seen["users"]["items"])
    assert upns == sorted(u["userPrincipalName"] for u in SEED["users"])
    # Five users two a page: the module followed @odata.nextLink through three pages.
    user_pages = [r for r in graph_requests(graph_sandbox, ("GET",)) if r["path"] == "/v1.0/users"]
    assert len(user_pages) == 3
    assert seen["created"]["status"] == 201
    assert seen["renamed"]["status"] == 204
    assert seen["fetched"]["json"]["displayName"] == "E2E office renamed"
    assert seen["deleted"]["status"] == 204
    writes = [(r["method"], r["status"]) for r in graph_requests(graph_sandbox, GRAPH_WRITES)]
    assert writes == [("POST", 201), ("PATCH", 204), ("DELETE", 204)]


def test_check_mode_reads_but_never_writes(run_playbook, graph_sandbox):
    run = run_playbook("graph_request_crud.yml", "--check")
    assert run.rc == 0, run
    assert run.recap["changed"] == 1, run  # the POST is predicted to change
    assert graph_requests(graph_sandbox, GRAPH_WRITES) == []
    assert len(run.output("crud")["users"]["items"]) == len(SEED["users"])


def test_diff_mode_shows_the_body_that_would_be_sent(run_playbook, graph_sandbox):
    run = run_playbook("graph_request_crud.yml", "--check", "--diff")
    assert run.rc == 0, run
    assert "E2E office" in run.stdout
    assert "203.0.113.0/24" in run.stdout
    assert graph_requests(graph_sandbox, GRAPH_WRITES) == []


def test_twenty_tasks_make_one_token_request(run_playbook, graph_sandbox, tmp_path):
    tasks = "".join(
        "    - name: Read the organisation's users, task %d\n"
        "      tenantguard.m365.graph_request:\n"
        "        path: /users\n"
        "        query:\n"
        "          $select: id\n" % (i + 1)
        for i in range(20)
    )
    playbook = tmp_path / "twenty.yml"
    playbook.write_text(
        "- name: Twenty Graph tasks\n  hosts: localhost\n  connection: local\n  gather_facts: false\n"
        "  vars:\n    ansible_python_interpreter: \"{{ ansible_playbook_python }}\"\n  tasks:\n" + tasks
    )
    run = run_playbook(str(playbook))
    assert run.rc == 0, run
    assert run.recap["ok"] == 20, run
    assert len(token_requests(graph_sandbox)) == 1
    assert len([r for r in graph_requests(graph_sandbox, ("GET",)) if r["path"] == "/v1.0/users"]) == 20
    # A second run of the play reuses the cached token: no token request at all.
    again = run_playbook(str(playbook))
    assert again.rc == 0, again
    assert len(token_requests(graph_sandbox)) == 1


def test_secret_never_printed_even_at_high_verbosity(run_playbook, graph_sandbox):
    secret = graph_sandbox.env["AZURE_CLIENT_SECRET"]
    run = run_playbook("graph_request_crud.yml", "-vvvv", "--diff")
    assert run.rc == 0, run
    assert secret not in run.stdout
    assert secret not in run.stderr
    assert secret not in json.dumps(graph_sandbox.requests())


def one_task_playbook(tmp_path, task_yaml):
    playbook = tmp_path / "one_task.yml"
    playbook.write_text(
        "- name: One Graph task\n  hosts: localhost\n  connection: local\n  gather_facts: false\n"
        "  vars:\n    ansible_python_interpreter: \"{{ ansible_playbook_python }}\"\n  tasks:\n" + task_yaml
    )
    return str(playbook)


def test_graph_error_is_one_clear_failure(run_playbook, graph_sandbox, tmp_path):
    playbook = one_task_playbook(
        tmp_path,
        "    - name: Read a policy that does not exist\n"
        "      tenantguard.m365.graph_request:\n"
        "        path: /identity/conditionalAccess/policies/6f4b0c1e-1111-4a1b-9c1d-000000000000\n",
    )
    run = run_playbook(playbook)
    assert run.rc != 0, run
    assert run.recap["failed"] == 1
    assert "404" in run.stdout
    assert "request-id" in run.stdout or "request_id" in run.stdout
    assert "Traceback" not in run.stdout + run.stderr


def test_plain_http_endpoint_is_refused_before_any_request(run_playbook, graph_sandbox, tmp_path):
    playbook = one_task_playbook(
        tmp_path,
        "    - name: Read users over plain http\n"
        "      tenantguard.m365.graph_request:\n"
        "        path: /users\n",
    )
    insecure = graph_sandbox.env["TENANTGUARD_GRAPH_ENDPOINT"].replace("https://", "http://")
    before = len(graph_sandbox.requests())
    run = run_playbook(playbook, env={"TENANTGUARD_GRAPH_ENDPOINT": insecure})
    assert run.rc != 0, run
    assert "graph_endpoint" in run.stdout
    assert "https" in run.stdout
    assert len(graph_sandbox.requests()) == before
