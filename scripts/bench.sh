#!/usr/bin/env bash
# Run every benchmark in bench/ and print their figures.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
venv=${TENANTGUARD_VENV:-$here/.venv}
cd "$here/bench"
for b in bench_*.py; do
  echo "=== $b"
  "$venv/bin/python" "$b" "$@"
done
