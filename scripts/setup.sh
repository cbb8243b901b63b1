#!/usr/bin/env bash
# Prepare a checkout for use: a virtualenv with the pinned requirements and the sandbox package,
# and a collections path through which Ansible finds this checkout as tenantguard.m365.
# Safe to run again: it only installs what is missing or changed.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
venv=${TENANTGUARD_VENV:-$here/.venv}
python=${PYTHON:-python3}

if [ ! -x "$venv/bin/python" ]; then
  "$python" -m venv "$venv"
fi
stamp=$venv/.tenantguard-requirements
want=$(cat "$here/requirements.txt" "$here/requirements-test.txt" "$here/sandbox/pyproject.toml" | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  (cd "$here" && "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r requirements-test.txt)
  echo "$want" > "$stamp"
fi

# ansible-test sanity runs the shellcheck program on the shell scripts; install it where we can.
if ! command -v shellcheck >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  (apt-get install -y -qq shellcheck >/dev/null 2>&1 || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq shellcheck >/dev/null 2>&1; }) \
    || echo "setup: shellcheck could not be installed; ansible-test will skip its shellcheck test" >&2
fi

# Ansible finds collections below <path>/ansible_collections/<namespace>/<name>.
mkdir -p "$here/.build/collections/ansible_collections/tenantguard"
ln -sfn "$here" "$here/.build/collections/ansible_collections/tenantguard/m365"
