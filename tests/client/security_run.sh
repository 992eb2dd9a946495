#!/usr/bin/env bash
# Runs the client library's security tests (suites Security* of brook_client_it) against a brookd
# and against Apache Kafka, each started here with the same secured listeners: SSL (PKCS12 key
# store), MTLS (client certificates required), SASL_SSL (PLAIN, SCRAM-SHA-256/512, OAUTHBEARER
# checked against a JWKS file), SASL_PLAINTEXT (PLAIN and SCRAM; sessions of 2 s, for
# re-authentication) and WRONGHOST (SSL with a certificate for another host name), beside a
# PLAINTEXT one; the Kafkas have a delegation token secret. Certificates come from
# tests/compat/security/make_certs.sh; the JWTs are signed here with openssl. Ports, files and
# secrets reach the tests as BROOK_SEC_* variables (security_it.cc); the tests make their SCRAM
# users themselves with AlterUserScramCredentials on the plaintext listener. OAUTHBEARER with a
# token endpoint: token_server.py (http and https) signs tokens with the same key. GSSAPI: a KDC
# for realm BROOK.TEST started here (from Debian's krb5-kdc, installed when missing and
# possible), for a KERBEROS listener on each broker (principal kafka/localhost, advertised as
# localhost); without it those tests skip.
#
# Usage: tests/client/security_run.sh BROOKD BROOK_CLIENT_IT [--only brook|kafka] [gtest args...]
# Kafka versions: BROOK_CLIENT_KAFKA (default "4.4.0 3.9.2"; empty for brookd only).
# Ports: BROOK_CLIENT_PORT (default 30500) + 40..45 and 48 for brookd, 46..47 for the token
# endpoint, 49 for the KDC, + 60..67 and + 70..77 for the Kafkas.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
[[ $# -ge 2 ]] || { sed -n '2,16p' "$0" >&2; exit 2; }
brookd=$(realpath "$1")
it=$(realpath "$2")
shift 2
only=""
if [[ ${1:-} == --only ]]; then only=$2; shift 2; fi
base=${BROOK_CLIENT_PORT:-30500}
versions=${BROOK_CLIENT_KAFKA-4.4.0 3.9.2}

work=$(mktemp -d "${TMPDIR:-/tmp}/brook-client-security.XXXXXX")
pid=""
token_pid=""
kdc_pid=""
kafka_dirs=()
cleanup() {
  [[ -n $pid ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  [[ -n $token_pid ]] && kill "$token_pid" 2>/dev/null && wait "$token_pid" 2>/dev/null || true
  [[ -n $kdc_pid ]] && kill "$kdc_pid" 2>/dev/null && wait "$kdc_pid" 2>/dev/null || true
  local d
  for d in "${kafka_dirs[@]}"; do "$root/scripts/kafka-server.sh" stop "$d" || true; done
  rm -rf "$work"
}
trap cleanup EXIT

certs="$work/certs"
bash "$root/tests/compat/security/make_certs.sh" "$certs"
cd "$certs"
quiet() { "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; "$@"; exit 1; }; }
# A trust store holding only the CA, as PKCS12 (what Java's default type JKS reads): made by Java's
# keytool where there is one, as Java users make theirs.
if command -v keytool >/dev/null; then
  quiet keytool -importcert -noprompt -alias ca -file ca.pem -keystore ca-trust.p12 \
    -storetype PKCS12 -storepass brook-pass
else
  quiet openssl pkcs12 -export -nokeys -in ca.pem -out ca-trust.p12 -passout pass:brook-pass
fi
# A broker certificate for another host name, for the host name check.
quiet openssl req -newkey rsa:2048 -nodes -keyout elsewhere.key -out elsewhere.csr \
  -subj "/CN=elsewhere.invalid"
printf 'subjectAltName=DNS:elsewhere.invalid\nextendedKeyUsage=serverAuth\n' >elsewhere.ext
quiet openssl x509 -req -in elsewhere.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
  -out elsewhere.crt -days 3650 -extfile elsewhere.ext
cat elsewhere.key elsewhere.crt ca.pem >elsewhere.pem
quiet openssl pkcs12 -export -inkey elsewhere.key -in elsewhere.crt -certfile ca.pem \
  -name elsewhere -out elsewhere.p12 -passout pass:brook-pass
# The JWT signing key, its JWKS and two tokens for user erin: valid for an hour, and expired.
quiet openssl genrsa -out jwt.key 2048
python3 - "$certs" <<'PY'
import base64, json, subprocess, sys, time
folder = sys.argv[1]
def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()
modulus = subprocess.run(["openssl", "rsa", "-in", f"{folder}/jwt.key", "-noout", "-modulus"],
                         check=True, capture_output=True, text=True).stdout.split("=", 1)[1]
key = {"kty": "RSA", "kid": "client-it", "use": "sig", "alg": "RS256",
       "n": b64url(bytes.fromhex(modulus.strip())), "e": b64url((65537).to_bytes(3, "big"))}
with open(f"{folder}/jwks.json", "w") as f:
    json.dump({"keys": [key]}, f)
def token(lifetime):
    now = int(time.time())
    head = b64url(json.dumps({"alg": "RS256", "typ": "JWT", "kid": "client-it"}).encode())
    body = b64url(json.dumps({"sub": "erin", "iss": "brook-test", "aud": "brook", "iat": now - 60,
                              "exp": now + lifetime, "scope": "kafka"}).encode())
    signed = f"{head}.{body}".encode()
    sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", f"{folder}/jwt.key"],
                         input=signed, check=True, capture_output=True).stdout
    return f"{head}.{body}.{b64url(sig)}"
for name, lifetime in (("token", 3600), ("expired", -600)):
    with open(f"{folder}/{name}.jwt", "w") as f:
        f.write(token(lifetime))
PY
cd "$root"

wait_port() {
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

# The token endpoint: client brook-app, short tokens of 8 s.
token_http=$((base + 46))
token_https=$((base + 47))
python3 "$here/token_server.py" "$token_http" "$token_https" "$certs/broker.crt" \
  "$certs/broker.key" "$certs/jwt.key" "$work/tokens.log" brook-app brook-app-secret 8 \
  >"$work/token_server.log" 2>&1 &
token_pid=$!
wait_port "$token_http" && wait_port "$token_https" || { cat "$work/token_server.log"; exit 1; }

# The KDC (tests/compat/security/make_realm.sh, as in the broker's GSSAPI test): principals
# kafka/localhost (the broker's keytab), other/localhost, alice (a keytab) and bob (a keytab, and a
# ticket cache filled with kinit).
export PATH="$PATH:/usr/sbin:/sbin"
if ! command -v krb5kdc >/dev/null && [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends krb5-kdc \
    krb5-admin-server krb5-user >/dev/null 2>&1 || true
fi
krb="$work/krb"
kdc_port=$((base + 49))
kerberos_env=()
if command -v krb5kdc >/dev/null && command -v kadmin.local >/dev/null &&
  command -v kinit >/dev/null; then
  bash "$root/tests/compat/security/make_realm.sh" "$krb" "$kdc_port" +kafka/localhost \
    other/localhost +alice +bob
  export KRB5_CONFIG="$krb/krb5.conf" KRB5_KDC_PROFILE="$krb/kdc.conf"
  krb5kdc -n >"$krb/krb5kdc.out" 2>&1 &
  kdc_pid=$!
  if wait_port "$kdc_port" &&
    KRB5CCNAME="FILE:$krb/bob-cc" timeout 30 kinit -kt "$krb/bob.keytab" bob@BROOK.TEST; then
    kerberos_env=(KRB5CCNAME="FILE:$krb/bob-cc" BROOK_SEC_KRB5_DIR="$krb")
  else
    echo "--- the KDC did not start; the GSSAPI tests skip"
  fi
else
  echo "--- no krb5-kdc (Debian's krb5-kdc, krb5-admin-server, krb5-user); the GSSAPI tests skip"
fi

plain_jaas="org.apache.kafka.common.security.plain.PlainLoginModule required username=\"admin\" password=\"admin-secret\" user_alice=\"alice-secret\" user_bob=\"bob-secret\";"
status=0

# Runs the suite against the listeners on ports $1 (PLAINTEXT), $2 (SSL), $3 (MTLS), $4 (SASL_SSL),
# $5 (SASL_PLAINTEXT), $6 (WRONGHOST); $7 names the broker; $8, when set, is the KERBEROS
# listener (host:port).
run_suite() {
  echo "--- brook_client_it Security* against $7's secured listeners"
  local krb_env=()
  [[ -n ${8:-} ]] && krb_env=("${kerberos_env[@]}" BROOK_SEC_KERBEROS="$8")
  if env "${krb_env[@]}" BROOK_SEC_TOKEN_HTTP="http://127.0.0.1:$token_http" \
    BROOK_SEC_TOKEN_HTTPS="https://127.0.0.1:$token_https" BROOK_SEC_TOKEN_LOG="$work/tokens.log" \
    BROOK_SEC_OAUTH_CLIENT=brook-app:brook-app-secret \
    BROOK_SEC_PLAINTEXT=127.0.0.1:$1 BROOK_SEC_SSL=127.0.0.1:$2 BROOK_SEC_MTLS=127.0.0.1:$3 \
    BROOK_SEC_SASL_SSL=127.0.0.1:$4 BROOK_SEC_SASL_PLAINTEXT=127.0.0.1:$5 \
    BROOK_SEC_WRONG_HOST=127.0.0.1:$6 BROOK_SEC_CERTS=$certs BROOK_SEC_PLAIN=alice:alice-secret \
    BROOK_SEC_SCRAM256=carol:carol-secret BROOK_SEC_SCRAM512=dave:dave-secret \
    BROOK_SEC_TOKEN=$(cat "$certs/token.jwt") BROOK_SEC_EXPIRED_TOKEN=$(cat "$certs/expired.jwt") \
    BROOK_TEST_BOOTSTRAP=127.0.0.1:$1 BROOK_TEST_BROKER=$7 \
    timeout 900 "$it" --gtest_filter='Security*' "${gtest_args[@]}"; then
    echo "--- $7: passed"
  else
    echo "--- $7: FAILED"
    status=1
  fi
}
gtest_args=("$@")

if [[ -z $only || $only == brook ]]; then
  p=$((base + 40))
  mkdir -p "$work/brook"
  listeners="PLAINTEXT://127.0.0.1:$p,SSL://127.0.0.1:$((p + 1)),MTLS://127.0.0.1:$((p + 2)),SASL_SSL://127.0.0.1:$((p + 3)),SASL_PLAINTEXT://127.0.0.1:$((p + 4)),WRONGHOST://127.0.0.1:$((p + 5))"
  kerberos=(--override "listeners=$listeners")
  kerberos_listener=""
  if ((${#kerberos_env[@]})); then
    # The broker's principal is kafka/localhost: clients must reach it as localhost.
    kerberos_listener="localhost:$((p + 8))"
    kerberos=(--override "listeners=$listeners,KERBEROS://127.0.0.1:$((p + 8))"
      --override "advertised.listeners=$listeners,KERBEROS://$kerberos_listener"
      --override listener.name.kerberos.sasl.enabled.mechanisms=GSSAPI
      --override sasl.kerberos.service.name=kafka
      --override "listener.name.kerberos.gssapi.sasl.jaas.config=com.sun.security.auth.module.Krb5LoginModule required useKeyTab=true storeKey=true keyTab=\"$krb/kafka.keytab\" principal=\"kafka/localhost@BROOK.TEST\";"
      --override listener.name.kerberos.connections.max.reauth.ms=2000)
  fi
  "$brookd" "${kerberos[@]}" \
    --override "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,SSL:SSL,MTLS:SSL,SASL_SSL:SASL_SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,WRONGHOST:SSL,KERBEROS:SASL_PLAINTEXT" \
    --override "log.dirs=$work/brook/data" --override num.partitions=1 \
    --override listener.name.ssl.ssl.keystore.type=PKCS12 \
    --override "listener.name.ssl.ssl.keystore.location=$certs/broker.p12" \
    --override listener.name.ssl.ssl.keystore.password=brook-pass \
    --override listener.name.mtls.ssl.keystore.type=PEM \
    --override "listener.name.mtls.ssl.keystore.location=$certs/broker.pem" \
    --override listener.name.mtls.ssl.client.auth=required \
    --override listener.name.mtls.ssl.truststore.type=PEM \
    --override "listener.name.mtls.ssl.truststore.location=$certs/ca.pem" \
    --override listener.name.sasl_ssl.ssl.keystore.type=PEM \
    --override "listener.name.sasl_ssl.ssl.keystore.location=$certs/broker.pem" \
    --override listener.name.wronghost.ssl.keystore.type=PEM \
    --override "listener.name.wronghost.ssl.keystore.location=$certs/elsewhere.pem" \
    --override sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512,OAUTHBEARER \
    --override "sasl.oauthbearer.jwks.endpoint.url=file://$certs/jwks.json" \
    --override sasl.oauthbearer.expected.audience=brook \
    --override sasl.oauthbearer.expected.issuer=brook-test \
    --override "listener.name.sasl_ssl.plain.sasl.jaas.config=$plain_jaas" \
    --override "listener.name.sasl_plaintext.plain.sasl.jaas.config=$plain_jaas" \
    --override listener.name.sasl_plaintext.connections.max.reauth.ms=2000 \
    >"$work/brook/brookd.log" 2>&1 &
  pid=$!
  for port in $(seq "$p" $((p + 5))); do wait_port "$port" || true; done
  if [[ -n $kerberos_listener ]]; then wait_port $((p + 8)) || true; fi
  run_suite "$p" $((p + 1)) $((p + 2)) $((p + 3)) $((p + 4)) $((p + 5)) brook "$kerberos_listener"
  kill "$pid" && wait "$pid" 2>/dev/null || true
  pid=""
  if grep -E "AddressSanitizer|runtime error" "$work/brook/brookd.log" | head -5 | grep -q .; then
    echo "--- brookd reported memory errors:"
    grep -E "AddressSanitizer|runtime error" "$work/brook/brookd.log" | head -20
    status=1
  fi
fi

if [[ -z $only || $only == kafka ]]; then
  offset=60
  scram="org.apache.kafka.common.security.scram.ScramLoginModule required;"
  for v in $versions; do
    d="$work/kafka-$v"
    kafka_dirs+=("$d")
    p=$((base + offset))  # the controller takes p + 1
    offset=$((offset + 10))
    l="127.0.0.1"
    listeners="SSL://$l:$((p + 2)),MTLS://$l:$((p + 3)),SASL_SSL://$l:$((p + 4)),SASL_PLAINTEXT://$l:$((p + 5)),WRONGHOST://$l:$((p + 6))"
    # GSSAPI on a KERBEROS listener, reached as localhost (the principal is kafka/localhost).
    kerberos_listener=""
    jvm_krb=""
    if ((${#kerberos_env[@]})); then
      kerberos_listener="localhost:$((p + 7))"
      jvm_krb="-Djava.security.krb5.conf=$krb/krb5.conf"
    fi
    keystore() {  # listener file
      echo "listener.name.$1.ssl.keystore.type=PKCS12"
      echo "listener.name.$1.ssl.keystore.location=$certs/$2"
      echo "listener.name.$1.ssl.keystore.password=brook-pass"
    }
    mapfile -t props < <(
      if [[ -n $kerberos_listener ]]; then
        echo "listeners=PLAINTEXT://$l:$p,CONTROLLER://$l:$((p + 1)),$listeners,KERBEROS://$l:$((p + 7))"
        echo "advertised.listeners=PLAINTEXT://$l:$p,$listeners,KERBEROS://$kerberos_listener"
        echo "listener.name.kerberos.sasl.enabled.mechanisms=GSSAPI"
        echo "sasl.kerberos.service.name=kafka"
        echo "listener.name.kerberos.gssapi.sasl.jaas.config=com.sun.security.auth.module.Krb5LoginModule required useKeyTab=true storeKey=true keyTab=\"$krb/kafka.keytab\" principal=\"kafka/localhost@BROOK.TEST\";"
        echo "listener.name.kerberos.connections.max.reauth.ms=2000"
      else
        echo "listeners=PLAINTEXT://$l:$p,CONTROLLER://$l:$((p + 1)),$listeners"
        echo "advertised.listeners=PLAINTEXT://$l:$p,$listeners"
      fi
      echo "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SSL:SSL,MTLS:SSL,SASL_SSL:SASL_SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,WRONGHOST:SSL,KERBEROS:SASL_PLAINTEXT"
      keystore ssl broker.p12
      keystore mtls broker.p12
      keystore sasl_ssl broker.p12
      keystore wronghost elsewhere.p12
      echo "listener.name.mtls.ssl.client.auth=required"
      echo "delegation.token.secret.key=brook-token-secret"
      echo "listener.name.mtls.ssl.truststore.type=PEM"
      echo "listener.name.mtls.ssl.truststore.location=$certs/ca.pem"
      echo "sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512,OAUTHBEARER"
      echo "listener.name.sasl_plaintext.sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512,OAUTHBEARER"
      for n in sasl_ssl sasl_plaintext; do
        echo "listener.name.$n.plain.sasl.jaas.config=$plain_jaas"
        echo "listener.name.$n.scram-sha-256.sasl.jaas.config=$scram"
        echo "listener.name.$n.scram-sha-512.sasl.jaas.config=$scram"
      done
      for n in sasl_ssl sasl_plaintext; do
        echo "listener.name.$n.oauthbearer.sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;"
        echo "listener.name.$n.oauthbearer.sasl.server.callback.handler.class=org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler"
      done
      echo "sasl.oauthbearer.jwks.endpoint.url=file://$certs/jwks.json"
      echo "sasl.oauthbearer.expected.audience=brook"
      echo "sasl.oauthbearer.expected.issuer=brook-test"
      echo "listener.name.sasl_plaintext.connections.max.reauth.ms=2000"
    )
    # Kafka 4 reads a JWKS URL only when this property allows it.
    if BROOK_KAFKA_JVM_OPTS="-XX:TieredStopAtLevel=1 -Dorg.apache.kafka.sasl.oauthbearer.allowed.urls=file://$certs/jwks.json $jvm_krb" \
      "$root/scripts/kafka-server.sh" start "$d" "$v" "$p" "${props[@]}"; then
      if [[ -n $kerberos_listener ]]; then wait_port $((p + 7)) || true; fi
      run_suite "$p" $((p + 2)) $((p + 3)) $((p + 4)) $((p + 5)) $((p + 6)) "kafka-$v" \
        "$kerberos_listener"
    else
      echo "--- kafka-$v: did not start"
      status=1
    fi
    "$root/scripts/kafka-server.sh" stop "$d" || true
  done
fi
[[ $status == 0 ]] && echo "--- security: passed" || echo "--- security: FAILED"
exit $status
