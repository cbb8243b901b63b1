#!/usr/bin/env bash
# Build the collection artefact and check it with galaxy-importer, the check Galaxy and Automation Hub run on an
# uploaded artefact: offline, without containers (no ansible-test run), ansible-lint and ansible-doc included.
# Fails on any error or warning it reports, and prints how many of each it found.
# galaxy-importer runs in its own virtual environment (scripts/requirements-galaxy-importer.txt), cached outside the
# checkout by the hash of that file as the referees' are: it pins older versions of libraries the tests use.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
python=${PYTHON:-python3}
requirements=$here/scripts/requirements-galaxy-importer.txt
root=${TENANTGUARD_REFEREES:-${XDG_CACHE_HOME:-$HOME/.cache}/tenantguard/referees}
venv=$root/galaxy-importer-$(sha256sum "$requirements" | cut -c1-12)
if [ ! -f "$venv/.complete" ]; then
  echo "galaxy-importer: preparing its environment in $venv"
  rm -rf "$venv"
  mkdir -p "$root"
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
  touch "$venv/.complete"
fi
export PATH=$venv/bin:$PATH
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

ansible-galaxy collection build --force --output-path "$work" "$here" >/dev/null
cat >"$work/galaxy-importer.cfg" <<CFG
[galaxy-importer]
run_ansible_test = false
run_ansible_lint = true
offline_ansible_lint = true
run_ansible_doc = true
check_changelog = true
CFG
rc=0
(cd "$work" && GALAXY_IMPORTER_CONFIG="$work/galaxy-importer.cfg" python -m galaxy_importer.main \
  "$work"/tenantguard-m365-*.tar.gz >"$work/importer.log" 2>&1) || rc=$?
errors=$(grep -c '^ERROR' "$work/importer.log" || true)
warnings=$(grep -c '^WARNING' "$work/importer.log" || true)
if [ "$rc" != 0 ] || [ "$errors" != 0 ] || [ "$warnings" != 0 ]; then
  grep -E '^(ERROR|WARNING)' "$work/importer.log" || tail -n 20 "$work/importer.log"
fi
echo "galaxy-importer: $errors error(s), $warnings warning(s), exit $rc"
[ "$rc" = 0 ] && [ "$errors" = 0 ] && [ "$warnings" = 0 ]
