#!/usr/bin/env bash
# Creates (once) .tools/pyxecm-venv: a project-local Python virtual environment holding OpenText's
# own OTDS client, pyxecm, from PyPI with every dependency pinned in pyxecm-requirements.txt. The
# OTDS oracle test (test/directory/otds-oracle.test.ts) drives the OTDS stand-in with it; nothing
# else in idsync uses Python. Reused while the requirements file is unchanged.
# Prints the venv's python path on stdout; a problem ends with one sentence on stderr and exit 3.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.tools/pyxecm-venv
requirements=scripts/pyxecm-requirements.txt
fail() { echo "idsync: $*" >&2; exit 3; }

want="$(sha256sum "$requirements" | cut -d' ' -f1)"
if [ "$(cat "$venv/.requirements-sha256" 2>/dev/null)" != "$want" ] || [ ! -x "$venv/bin/python" ]; then
  command -v python3 >/dev/null 2>&1 || fail "python3 is missing; install python3 (with venv and pip) to run the OTDS oracle test."
  echo "pyxecm-venv: installing pyxecm and its pinned dependencies into $venv" >&2
  rm -rf "$venv"
  python3 -m venv "$venv" >&2 || fail "python3 could not create a virtual environment; install python3-venv."
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements" >&2 \
    || fail "could not install pyxecm from PyPI into $venv; check that pip can reach PyPI."
  echo "$want" >"$venv/.requirements-sha256"
fi
echo "$PWD/$venv/bin/python"
