#!/usr/bin/env bash
# The main job. With a tenant's credentials in the environment (AZURE_TENANT_ID, AZURE_CLIENT_ID and
# AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH) it runs against that tenant. Without them it
# starts the Graph sandbox (state kept in .sandbox/), points the modules at it and runs there.
# Extra arguments go to ansible-playbook, for example: make demo ARGS="--check --diff".
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
venv=${TENANTGUARD_VENV:-$here/.venv}
export PATH=$venv/bin:$PATH
export ANSIBLE_COLLECTIONS_PATH=$here/.build/collections
playbook=${TENANTGUARD_PLAYBOOK:-playbooks/harden_tenant.yml}
sandbox_dir=${SANDBOX_DIR:-$here/.sandbox}

if [ -n "${AZURE_TENANT_ID:-}" ] && [ -n "${AZURE_CLIENT_ID:-}" ]; then
  echo "demo: running $playbook against tenant $AZURE_TENANT_ID"
else
  mkdir -p "$sandbox_dir"
  log=$sandbox_dir/server.log
  python -m tenantguard_sandbox serve --port 0 --state-dir "$sandbox_dir" \
    --seed "${SANDBOX_SEED:-$here/sandbox/seeds/contoso.json}" >"$log" 2>&1 &
  pid=$!
  trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true' EXIT
  python - "$sandbox_dir" "$pid" <<'PY'
import json, os, sys, time
state_dir, pid = sys.argv[1], int(sys.argv[2])
deadline = time.time() + 30
while time.time() < deadline:
    try:
        with open(os.path.join(state_dir, "server.json")) as f:
            if json.load(f).get("pid") == pid and os.path.exists(os.path.join(state_dir, "env.sh")):
                sys.exit(0)
    except (OSError, ValueError):
        pass
    try:
        os.kill(pid, 0)
    except OSError:
        sys.exit("demo: the sandbox did not start; see %s" % os.path.join(state_dir, "server.log"))
    time.sleep(0.1)
sys.exit("demo: the sandbox did not start within 30 seconds")
PY
  # shellcheck disable=SC1091
  . "$sandbox_dir/env.sh"
  echo "demo: running $playbook against the Graph sandbox at $TENANTGUARD_GRAPH_ENDPOINT (state in $sandbox_dir)"
fi
read -r -a extra <<<"${ARGS:-}"
ansible-playbook -i localhost, "$playbook" "${extra[@]}" "$@"
