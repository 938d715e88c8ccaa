#!/usr/bin/env bash
# .tools/scim-venv: independent SCIM 2.0 software from PyPI, every dependency pinned in
# scim-requirements.txt:
#   scim2-server  a complete third-party SCIM service provider (a target nobody here wrote);
#   scim2-cli     with scim2-tester, an RFC 7643/7644 conformance checker;
#   scim-sanity   a second, independent conformance probe.
# Tests use them to check idsync against software it did not write; nothing at run time does.
# Prints the venv's bin directory on stdout; a problem ends with one sentence on stderr and exit 3.
set -euo pipefail
venv="$(bash "$(dirname "$0")/python-venv.sh" scim-venv scripts/scim-requirements.txt "run the SCIM tests against independent software")"
echo "$venv/bin"
