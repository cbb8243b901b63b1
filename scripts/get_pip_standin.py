"""Offline stand-in for the get-pip.py bootstrap script that ansible-test downloads.

ansible-test bootstraps pip into the virtual environments it builds for sanity tests by running a
cached copy of ``get-pip-<version>.py``. Where that file cannot be downloaded, this stand-in does
the same job with the standard library's ``ensurepip`` and then installs the requested packages
with the configured package index. ``ensurepip`` runs as a subprocess because calling it in
process hides the machine's pip configuration.
"""
import subprocess
import sys

GET_PIP_ONLY_FLAGS = ('--no-setuptools', '--no-wheel')


def main():
    args = [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY_FLAGS]
    subprocess.check_call([sys.executable, '-m', 'ensurepip', '--upgrade', '--default-pip'])
    subprocess.check_call([sys.executable, '-m', 'pip', 'install'] + args)


if __name__ == '__main__':
    main()
