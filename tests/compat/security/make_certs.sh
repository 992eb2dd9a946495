#!/usr/bin/env bash
# Makes the certificates the security tests use, in the folder given: a CA (ca.pem), the broker's
# key and certificate for localhost and 127.0.0.1 (broker.pem: key and chain in one PEM file;
# broker.p12: PKCS12 with password "brook-pass"), and client certificates signed by the CA
# (alice: CN=alice,OU=eng,O=Brook; mallory: signed by another CA the broker does not trust), each
# as <name>.key / <name>.crt and <name>.p12.
set -euo pipefail
out=${1:?usage: make_certs.sh folder}
mkdir -p "$out"
cd "$out"
pass=brook-pass
quiet() { "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; "$@"; exit 1; }; }

ca() {  # name subject
  quiet openssl req -x509 -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.pem" -days 3650 \
    -subj "$2" -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign
}
leaf() {  # name subject ca extensions...
  local name=$1 subject=$2 signer=$3
  shift 3
  quiet openssl req -newkey rsa:2048 -nodes -keyout "$name.key" -out "$name.csr" -subj "$subject"
  printf '%s\n' "$@" >"$name.ext"
  quiet openssl x509 -req -in "$name.csr" -CA "$signer.pem" -CAkey "$signer.key" -CAcreateserial \
    -out "$name.crt" -days 3650 -extfile "$name.ext"
  quiet openssl pkcs12 -export -inkey "$name.key" -in "$name.crt" -certfile "$signer.pem" \
    -name "$name" -out "$name.p12" -passout "pass:$pass"
}

ca ca "/CN=Brook Test CA"
ca other-ca "/CN=Someone Else"
leaf broker "/CN=localhost" ca "subjectAltName=DNS:localhost,IP:127.0.0.1" \
  "extendedKeyUsage=serverAuth"
cat broker.key broker.crt ca.pem >broker.pem
leaf alice "/C=US/O=Brook/OU=eng/CN=alice" ca "extendedKeyUsage=clientAuth"
leaf mallory "/CN=mallory" other-ca "extendedKeyUsage=clientAuth"
rm -f ./*.csr ./*.ext ./*.srl
