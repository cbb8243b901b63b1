#!/usr/bin/env bash
# Run the benchmarks in bench/ against the sandbox and print their figures (docs/performance.md).
#   scripts/bench.sh                       # every benchmark (about 40 minutes on 2 cores; many_tenants is most of it)
#   scripts/bench.sh names noop_convergence  # only bench/bench_names.py and bench/bench_noop_convergence.py
# Each benchmark prints a table and one line starting with BENCH (JSON); those lines are also collected
# in $BENCH_OUT (default .build/bench.jsonl). The exit status is 1 when a benchmark failed or reported a
# target not met, after all of them have run.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
venv=${TENANTGUARD_VENV:-$here/.venv}
out=${BENCH_OUT:-$here/.build/bench.jsonl}
mkdir -p "$(dirname "$out")"
: > "$out"
cd "$here/bench" || exit 1
if [ $# -gt 0 ]; then
  benches=()
  for name in "$@"; do benches+=("bench_${name#bench_}"); benches[-1]=${benches[-1]%.py}.py; done
else
  benches=(bench_*.py)
fi
status=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for b in "${benches[@]}"; do
  [ -f "$b" ] || { echo "no benchmark $b in bench/" >&2; status=1; continue; }
  echo "=== $b ($(date -u +%H:%M:%S) UTC, load $(cut -d' ' -f1 /proc/loadavg))"
  "$venv/bin/python" -u "$b" 2>&1 | tee "$log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
  grep '^BENCH ' "$log" >> "$out" || status=1
done
echo "figures: $out"
exit $status
