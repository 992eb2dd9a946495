#!/usr/bin/env bash
# Makes a Kerberos realm BROOK.TEST for the GSSAPI tests in the folder given, for a KDC on
# 127.0.0.1:PORT (TCP and UDP): krb5.conf (for clients and brokers, through KRB5_CONFIG), kdc.conf
# (for kdb5_util, kadmin.local and krb5kdc, through KRB5_KDC_PROFILE), the database, one principal
# <name>@BROOK.TEST with a random key for each name given, and <first component>.keytab for each
# name marked with a leading '+' (so +kafka/localhost makes kafka.keytab). Start the KDC afterwards
# with `KRB5_CONFIG=DIR/krb5.conf KRB5_KDC_PROFILE=DIR/kdc.conf krb5kdc -n`. Needs Debian's
# krb5-kdc and krb5-admin-server.
#
# Usage: make_realm.sh DIR PORT [+]PRINCIPAL...
set -euo pipefail
dir=${1:?usage: make_realm.sh DIR PORT [+]PRINCIPAL...}
port=${2:?usage: make_realm.sh DIR PORT [+]PRINCIPAL...}
shift 2
mkdir -p "$dir"
cat >"$dir/krb5.conf" <<EOF
[libdefaults]
  default_realm = BROOK.TEST
  dns_lookup_realm = false
  dns_lookup_kdc = false
  rdns = false
  udp_preference_limit = 1
[realms]
  BROOK.TEST = {
    kdc = 127.0.0.1:$port
  }
EOF
cat >"$dir/kdc.conf" <<EOF
[kdcdefaults]
  kdc_ports = $port
  kdc_tcp_ports = $port
[realms]
  BROOK.TEST = {
    database_name = $dir/principal
    key_stash_file = $dir/stash
    max_life = 1h
  }
[logging]
  kdc = FILE:$dir/kdc.log
EOF
export KRB5_CONFIG="$dir/krb5.conf" KRB5_KDC_PROFILE="$dir/kdc.conf"
quiet() { "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; exit 1; }; }
quiet kdb5_util create -s -r BROOK.TEST -P master-of-test
for p in "$@"; do
  name=${p#+}
  quiet kadmin.local -q "addprinc -randkey $name@BROOK.TEST"
  if [[ $p == +* ]]; then
    quiet kadmin.local -q "ktadd -k $dir/${name%%/*}.keytab $name@BROOK.TEST"
  fi
done
