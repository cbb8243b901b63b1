#!/usr/bin/env bash
# Run every test suite, keep going when one fails, and end with one summary.
# Suites: the Graph sandbox's own tests, the collection's unit tests (ansible-test units),
# the end-to-end tests (ansible-playbook against the sandbox), ansible-test sanity, and the
# linters (ansible-lint production profile, changelog lint, documentation lint, galaxy-importer on the built
# artefact, the generators' --check: generated option tables up to date with the schema), and the outside referees
# (IntuneCD and Microsoft's Graph SDKs, each in its own environment, against the sandbox in intercept mode).
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here" || exit 1
venv=${TENANTGUARD_VENV:-$here/.venv}
export PATH=$venv/bin:$PATH
export ANSIBLE_COLLECTIONS_PATH=$here/.build/collections
only=${TENANTGUARD_SUITES:-sandbox units e2e sanity lint referees}

declare -a names=() results=()
run() {
  local name=$1; shift
  case " $only " in *" $name "*) ;; *) return 0 ;; esac
  echo "=== $name: $*"
  local start=$SECONDS
  "$@"
  local rc=$?
  names+=("$name"); results+=("$rc $((SECONDS - start))s")
}

run sandbox pytest -p no:cacheprovider -q sandbox/tests
run units scripts/ansible-test.sh units
run e2e pytest -p no:cacheprovider -q -n 3 tests/e2e
run sanity scripts/ansible-test.sh sanity
run referees scripts/referees.sh -q
run lint bash -c 'ansible-lint --profile production && antsibull-changelog lint && antsibull-docs lint-collection-docs --plugin-docs --skip-rstcheck . && python scripts/generate_ca_spec.py --check && python scripts/generate_app_protection_spec.py --check && python scripts/generate_compliance_spec.py --check && scripts/galaxy-importer.sh'

echo "=== summary"
failed=0
for i in "${!names[@]}"; do
  read -r rc took <<<"${results[$i]}"
  if [ "$rc" = 0 ]; then echo "  ${names[$i]}: passed ($took)"; else echo "  ${names[$i]}: FAILED, exit $rc ($took)"; failed=$((failed + 1)); fi
done
passed=$(( ${#names[@]} - failed ))
echo "suites passed: $passed, suites failed: $failed"
[ "$failed" = 0 ]
