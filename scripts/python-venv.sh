#!/usr/bin/env bash
# Creates (once) a project-local Python virtual environment .tools/<name> from a pinned requirements
# file, for tests that drive software nobody here wrote (OpenText's pyxecm, independent SCIM tools).
# Reused while the requirements file is unchanged. Usage: python-venv.sh <name> <requirements> <purpose>
# Prints the venv's directory on stdout; a problem ends with one sentence on stderr and exit 3.
set -euo pipefail
cd "$(dirname "$0")/.."
name=$1 requirements=$2 purpose=$3
venv=.tools/$name
fail() { echo "idsync: $*" >&2; exit 3; }

want="$(sha256sum "$requirements" | cut -d' ' -f1)"
if [ "$(cat "$venv/.requirements-sha256" 2>/dev/null)" != "$want" ] || [ ! -x "$venv/bin/python" ]; then
  command -v python3 >/dev/null 2>&1 || fail "python3 is missing; install python3 (with venv and pip) to $purpose."
  echo "$name: installing $requirements into $venv" >&2
  rm -rf "$venv"
  python3 -m venv "$venv" >&2 || fail "python3 could not create a virtual environment; install python3-venv."
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements" >&2 \
    || fail "could not install $requirements from PyPI into $venv; check that pip can reach PyPI."
  echo "$want" >"$venv/.requirements-sha256"
fi
echo "$PWD/$venv"
