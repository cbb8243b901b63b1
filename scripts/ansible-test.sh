#!/usr/bin/env bash
# Run ansible-test on a copy of the collection laid out as ansible_collections/tenantguard/m365.
# Usage: scripts/ansible-test.sh sanity|units [ansible-test options...]
# The copy holds what git tracks (and new files git does not ignore), without the sandbox
# package and the benchmarks, which are not part of the collection.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
venv=${TENANTGUARD_VENV:-$here/.venv}
python=$venv/bin/python
# Outside the work tree: ansible-test would otherwise list files through the enclosing git checkout.
# The path ends in collections/ansible_collections/<ns>/<name>, which pytest-ansible recognises as a
# collection tree: it then uses that tree as it is instead of building its own link farm.
# One tree per checkout, so that two checkouts can run their tests at the same time.
tree_id=$(printf '%s' "$here" | sha256sum | cut -c1-12)
dest=${TENANTGUARD_TEST_TREE:-${TMPDIR:-/tmp}/tenantguard-test-tree-$tree_id}/collections/ansible_collections/tenantguard/m365

# ansible-test downloads get-pip.py to bootstrap its sanity virtualenvs; offline it uses a cached
# copy. Offer the ensurepip-based stand-in under the name ansible-test looks for.
cache=$HOME/.ansible/test/cache
mkdir -p "$cache"
for v in $("$python" -c "
import re, ansible_test, pathlib
src = (pathlib.Path(ansible_test.__file__).parent / '_internal' / 'python_requirements.py').read_text()
print(' '.join(sorted(set(re.findall(r\"pip='([0-9.]+)'\", src)))))
"); do
  target=$cache/get_pip_${v//./_}.py
  [ -f "$target" ] || cp "$here/scripts/get_pip_standin.py" "$target"
done

rm -rf "$dest"
mkdir -p "$dest"
cd "$here"
# shellcheck disable=SC2016 # the inner script expands its own "$f"
git ls-files -co --exclude-standard -z \
  | grep -zv -e '^sandbox/' -e '^bench/' -e '^\.ci/' \
  | xargs -0 -r sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh \
  | tar --null -T - -cf - | tar -C "$dest" -xf -
if [ "${1:-}" = units ]; then
  # pytest-ansible, installed for plain-pytest runs, takes over the collection loader of any pytest
  # started next to a galaxy.yml and clashes with ansible-test's own. ansible-test units reads the
  # collection's name from its path and needs no galaxy.yml, so leave it out of this copy.
  rm -f "$dest/galaxy.yml"
fi
cd "$dest"
export PATH=$venv/bin:$PATH
exec ansible-test "$@" --python 3.11 --local
