#!/usr/bin/env bash
# Runs a private OpenLDAP server for idsync's demo and tests, entirely under DATA_DIR, on 127.0.0.1 only.
#   scripts/slapd.sh start DATA_DIR PORT    create the database on first use, start slapd, wait until it answers
#   scripts/slapd.sh stop DATA_DIR          stop the slapd whose pid file is in DATA_DIR
# Env: LDAP_SUFFIX (dc=example,dc=com), LDAP_ROOTDN (cn=admin,<suffix>), LDAP_ROOTPW (required on first start).
# Optional TLS at start: LDAP_TLS_CERT + LDAP_TLS_KEY (PEM files readable by the invoking user, whom slapd runs as)
# enable StartTLS on the plain listener; LDAP_TLS_CA becomes olcTLSCACertificateFile; LDAP_TLS_PORT adds an
# ldaps://127.0.0.1:PORT/ listener. They are written into cn=config at every start, so a data dir created without
# TLS gains it; without them the config is left as it is.
# memberof keeps memberOf readable for humans; idsync itself reads membership from groups' member attribute.
# ppolicy provides pwdAccountLockedTime, OpenLDAP's usual way to mark an account disabled.
# The small idsyncPerson auxiliary class carries HR start/end dates (employeeStartDate, employeeEndDate).
set -euo pipefail
PATH="$PATH:/usr/sbin"
die() { echo "slapd.sh: $*" >&2; exit 1; }

stop() {
  local pidfile="$1/slapd.pid" pid
  [ -f "$pidfile" ] || return 0
  pid="$(cat "$pidfile")"
  if [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = slapd ]; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

init_db() {
  local dir="$1" suffix="$2" rootdn="$3" rootpw="$4" dc
  dc="$(printf '%s' "$suffix" | sed -n 's/^dc=\([^,]*\).*/\1/p')"
  [ -n "$dc" ] || die "LDAP_SUFFIX must start with dc=..."
  mkdir -p "$dir/slapd.d" "$dir/db"
  chmod 700 "$dir"
  cat >"$dir/config.ldif" <<LDIF
dn: cn=config
objectClass: olcGlobal
cn: config
olcPidFile: $dir/slapd.pid
olcArgsFile: $dir/slapd.args
olcLogLevel: none

dn: cn=module{0},cn=config
objectClass: olcModuleList
cn: module{0}
olcModulePath: /usr/lib/ldap
olcModuleLoad: back_mdb
olcModuleLoad: memberof
olcModuleLoad: syncprov
olcModuleLoad: ppolicy

dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema

include: file:///etc/ldap/schema/core.ldif

include: file:///etc/ldap/schema/cosine.ldif

include: file:///etc/ldap/schema/nis.ldif

include: file:///etc/ldap/schema/inetorgperson.ldif

dn: cn=idsync,cn=schema,cn=config
objectClass: olcSchemaConfig
cn: idsync
olcAttributeTypes: ( 2.25.147690575257145087331197010073877437035.1.1 NAME 'employeeStartDate' DESC 'first working day, YYYY-MM-DD' EQUALITY caseIgnoreMatch ORDERING caseIgnoreOrderingMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
olcAttributeTypes: ( 2.25.147690575257145087331197010073877437035.1.2 NAME 'employeeEndDate' DESC 'last working day, YYYY-MM-DD' EQUALITY caseIgnoreMatch ORDERING caseIgnoreOrderingMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
olcObjectClasses: ( 2.25.147690575257145087331197010073877437035.2.1 NAME 'idsyncPerson' DESC 'HR lifecycle dates HR systems usually push into the directory' SUP top AUXILIARY MAY ( employeeStartDate $ employeeEndDate ) )

dn: olcDatabase={-1}frontend,cn=config
objectClass: olcDatabaseConfig
objectClass: olcFrontendConfig
olcDatabase: {-1}frontend
olcSizeLimit: unlimited
olcTimeLimit: unlimited

dn: olcDatabase={0}config,cn=config
objectClass: olcDatabaseConfig
olcDatabase: {0}config
olcRootDN: $rootdn
olcAccess: {0}to * by dn.exact="$rootdn" manage by * none

dn: olcDatabase={1}mdb,cn=config
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: {1}mdb
olcSuffix: $suffix
olcRootDN: $rootdn
olcRootPW: $(slappasswd -s "$rootpw")
olcDbDirectory: $dir/db
olcDbMaxSize: 4294967296
olcDbNoSync: TRUE
olcDbIndex: objectClass eq
olcDbIndex: entryCSN,entryUUID eq
olcDbIndex: uid,cn,mail eq,sub
olcDbIndex: member,memberOf eq
olcSizeLimit: unlimited
olcTimeLimit: unlimited
olcAccess: {0}to attrs=userPassword by self write by anonymous auth by * none
olcAccess: {1}to * by * read

dn: olcOverlay={0}memberof,olcDatabase={1}mdb,cn=config
objectClass: olcOverlayConfig
objectClass: olcMemberOfConfig
olcOverlay: {0}memberof
olcMemberOfRefInt: TRUE
olcMemberOfGroupOC: groupOfNames
olcMemberOfMemberAD: member
olcMemberOfMemberOfAD: memberOf

dn: olcOverlay={1}syncprov,olcDatabase={1}mdb,cn=config
objectClass: olcOverlayConfig
objectClass: olcSyncProvConfig
olcOverlay: {1}syncprov
olcSpCheckpoint: 100 10
olcSpSessionLog: 10000

dn: olcOverlay={2}ppolicy,olcDatabase={1}mdb,cn=config
objectClass: olcOverlayConfig
objectClass: olcPPolicyConfig
olcOverlay: {2}ppolicy
LDIF
  cat >"$dir/base.ldif" <<LDIF
dn: $suffix
objectClass: top
objectClass: dcObject
objectClass: organization
dc: $dc
o: $dc

dn: ou=people,$suffix
objectClass: organizationalUnit
ou: people

dn: ou=groups,$suffix
objectClass: organizationalUnit
ou: groups
LDIF
  slapadd -n0 -F "$dir/slapd.d" -l "$dir/config.ldif" >"$dir/init.log" 2>&1 || { cat "$dir/init.log" >&2; die "slapadd (config) failed"; }
  slapadd -n1 -F "$dir/slapd.d" -l "$dir/base.ldif" >>"$dir/init.log" 2>&1 || { cat "$dir/init.log" >&2; die "slapadd (base) failed"; }
  rm -f "$dir/config.ldif"   # it holds the root password hash
}

# Rewrites the TLS settings in cn=config offline (slapd is not running yet). Debian's slapd uses GnuTLS, which
# refuses to start when a configured file is unreadable, so the files are checked first for a clear message.
configure_tls() {
  local dir="$1" file
  for file in "$LDAP_TLS_CERT" "$LDAP_TLS_KEY" ${LDAP_TLS_CA:+"$LDAP_TLS_CA"}; do
    [ -r "$file" ] || die "TLS file $file is missing or not readable"
  done
  {
    printf 'dn: cn=config\nchangetype: modify\n'
    printf 'replace: olcTLSCertificateFile\nolcTLSCertificateFile: %s\n-\n' "$(realpath "$LDAP_TLS_CERT")"
    printf 'replace: olcTLSCertificateKeyFile\nolcTLSCertificateKeyFile: %s\n-\n' "$(realpath "$LDAP_TLS_KEY")"
    # An empty replace removes a CA left over from an earlier start.
    printf 'replace: olcTLSCACertificateFile\n'
    [ -z "${LDAP_TLS_CA:-}" ] || printf 'olcTLSCACertificateFile: %s\n' "$(realpath "$LDAP_TLS_CA")"
    printf -- '-\n'
  } >"$dir/tls.ldif"
  slapmodify -n0 -F "$dir/slapd.d" -l "$dir/tls.ldif" >>"$dir/init.log" 2>&1 || { cat "$dir/init.log" >&2; die "slapmodify (TLS settings) failed"; }
}

# True once the listener answers a rootDSE read. The ldaps probe only proves liveness, so it does not verify the
# certificate (clients verify it themselves).
answers() {
  LDAPTLS_REQCERT=never ldapsearch -x -LLL -o nettimeout=1 -H "$1" -b "" -s base namingContexts >/dev/null 2>&1
}

start() {
  local dir="$1" port="$2" suffix="${LDAP_SUFFIX:-dc=example,dc=com}"
  local rootdn="${LDAP_ROOTDN:-cn=admin,$suffix}"
  command -v slapd >/dev/null || die "slapd is not installed; run scripts/bootstrap.sh (or: apt-get install slapd ldap-utils)"
  mkdir -p "$dir"; dir="$(cd "$dir" && pwd)"
  if [ -f "$dir/slapd.pid" ] && kill -0 "$(cat "$dir/slapd.pid")" 2>/dev/null; then die "slapd for $dir already runs (pid $(cat "$dir/slapd.pid"))"; fi
  if [ ! -d "$dir/slapd.d" ]; then
    [ -n "${LDAP_ROOTPW:-}" ] || die "LDAP_ROOTPW must be set to create a new directory database"
    init_db "$dir" "$suffix" "$rootdn" "$LDAP_ROOTPW"
  fi
  local urls=("ldap://127.0.0.1:$port/")
  if [ -n "${LDAP_TLS_CERT:-}" ] || [ -n "${LDAP_TLS_KEY:-}" ]; then
    [ -n "${LDAP_TLS_CERT:-}" ] && [ -n "${LDAP_TLS_KEY:-}" ] || die "LDAP_TLS_CERT and LDAP_TLS_KEY must be set together"
    configure_tls "$dir"
    [ -z "${LDAP_TLS_PORT:-}" ] || urls+=("ldaps://127.0.0.1:$LDAP_TLS_PORT/")
  elif [ -n "${LDAP_TLS_PORT:-}" ]; then
    die "LDAP_TLS_PORT needs LDAP_TLS_CERT and LDAP_TLS_KEY"
  fi
  rm -f "$dir/slapd.pid"
  slapd -h "${urls[*]}" -F "$dir/slapd.d" || die "slapd failed to start on ${urls[*]} (port in use? TLS files unusable?)"
  local url pending
  for _ in $(seq 1 200); do
    pending=""
    for url in "${urls[@]}"; do answers "$url" || pending="$url"; done
    [ -n "$pending" ] || exit 0
    sleep 0.1
  done
  stop "$dir"; die "slapd did not answer on $pending within 20 s"
}

case "${1:-}" in
  start) [ $# -eq 3 ] || die "usage: $0 start DATA_DIR PORT"; start "$2" "$3" ;;
  stop) [ $# -eq 2 ] || die "usage: $0 stop DATA_DIR"; stop "$2" ;;
  *) die "usage: $0 start DATA_DIR PORT | $0 stop DATA_DIR" ;;
esac
