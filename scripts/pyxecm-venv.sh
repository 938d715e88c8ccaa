#!/usr/bin/env bash
# .tools/pyxecm-venv: OpenText's own OTDS client, pyxecm, from PyPI with every dependency pinned in
# pyxecm-requirements.txt. The OTDS oracle test (test/directory/otds-oracle.test.ts) drives the OTDS
# stand-in with it; nothing else in idsync uses Python.
# Prints the venv's python path on stdout; a problem ends with one sentence on stderr and exit 3.
set -euo pipefail
venv="$(bash "$(dirname "$0")/python-venv.sh" pyxecm-venv scripts/pyxecm-requirements.txt "run the OTDS oracle test")"
echo "$venv/bin/python"
