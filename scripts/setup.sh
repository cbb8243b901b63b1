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

# Debian packages the tests use: shellcheck (ansible-test sanity checks the shell scripts with it)
# and chromium (the device report is looked at in a headless browser). Install what is missing
# where we can; the tests that need them say so and skip where they are absent.
missing=()
command -v shellcheck >/dev/null 2>&1 || missing+=(shellcheck)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
if [ "${#missing[@]}" -gt 0 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  (apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1 \
    || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1; }) \
    || echo "setup: could not install ${missing[*]}; the tests that need them will be skipped" >&2
fi

# Ansible finds collections below <path>/ansible_collections/<namespace>/<name>.
mkdir -p "$here/.build/collections/ansible_collections/tenantguard"
ln -sfn "$here" "$here/.build/collections/ansible_collections/tenantguard/m365"
