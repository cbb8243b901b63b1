#!/usr/bin/env bash
# Outside referees: clients written elsewhere, run unmodified against the Graph sandbox in intercept mode.
# Each referee has its own virtual environment, made from sandbox/referees/requirements-<name>.txt, so that no
# referee pins the collection's dependencies. The environments are cached outside the checkout, named by the
# hash of their requirements file ($TENANTGUARD_REFEREES, default ~/.cache/tenantguard/referees/<name>-<hash>):
# a fresh clone reuses them, and a changed pin makes a new one. The tests themselves run with the checkout's .venv.
#   scripts/referees.sh setup      create or update the referee environments
#   scripts/referees.sh [ARGS]     set up, then run pytest on sandbox/referees (ARGS go to pytest)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
venv=${TENANTGUARD_VENV:-$here/.venv}
python=${PYTHON:-python3}
root=${TENANTGUARD_REFEREES:-${XDG_CACHE_HOME:-$HOME/.cache}/tenantguard/referees}

setup_one() {
  local name=$1 requirements=$2
  local want target
  want=$(sha256sum "$requirements" | cut -c1-12)
  target=$root/$name-$want
  if [ -f "$target/.complete" ]; then
    return 0
  fi
  echo "referees: preparing $name in $target"
  rm -rf "$target"
  "$python" -m venv "$target"
  "$target/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
  touch "$target/.complete"
}

setup() {
  mkdir -p "$root"
  local requirements name
  for requirements in "$here"/sandbox/referees/requirements-*.txt; do
    name=$(basename "$requirements" .txt)
    setup_one "${name#requirements-}" "$requirements"
  done
}

setup
if [ "${1:-}" = "setup" ]; then
  exit 0
fi
cd "$here"
export TENANTGUARD_REFEREES=$root
exec "$venv/bin/pytest" -p no:cacheprovider sandbox/referees "$@"
