#!/usr/bin/env bash
# Creates (once) .tools/scim-venv: a project-local Python virtual environment holding independent
# SCIM 2.0 software from PyPI, every dependency pinned in scim-requirements.txt:
#   scim2-server  a complete third-party SCIM service provider (a target nobody here wrote);
#   scim2-cli     with scim2-tester, an RFC 7643/7644 conformance checker;
#   scim-sanity   a second, independent conformance probe.
# Tests use them to check idsync against software it did not write; nothing at run time does.
# Reused while the requirements file is unchanged.
# Prints the venv's bin directory on stdout; a problem ends with one sentence on stderr and exit 3.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.tools/scim-venv
requirements=scripts/scim-requirements.txt
fail() { echo "idsync: $*" >&2; exit 3; }

want="$(sha256sum "$requirements" | cut -d' ' -f1)"
if [ "$(cat "$venv/.requirements-sha256" 2>/dev/null)" != "$want" ] || [ ! -x "$venv/bin/python" ]; then
  command -v python3 >/dev/null 2>&1 || fail "python3 is missing; install python3 (with venv and pip) to run the SCIM tests against independent software."
  echo "scim-venv: installing scim2-server, scim2-cli, scim2-tester and scim-sanity into $venv" >&2
  rm -rf "$venv"
  python3 -m venv "$venv" >&2 || fail "python3 could not create a virtual environment; install python3-venv."
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements" >&2 \
    || fail "could not install the SCIM tools from PyPI into $venv; check that pip can reach PyPI."
  echo "$want" >"$venv/.requirements-sha256"
fi
echo "$PWD/$venv/bin"
