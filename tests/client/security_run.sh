#!/usr/bin/env bash
# Runs the client library's security tests (suites Security* of brook_client_it) against a brookd
# started here with secured listeners: SSL (PKCS12 key store), MTLS (client certificates required),
# SASL_SSL (PLAIN, SCRAM-SHA-256/512, OAUTHBEARER checked against a JWKS file), SASL_PLAINTEXT
# (sessions of 2 s, for re-authentication) and WRONGHOST (SSL with a certificate for another host
# name). Certificates come from tests/compat/security/make_certs.sh; the JWTs are signed here with
# openssl. Ports, files and secrets reach the tests as BROOK_SEC_* variables (security_it.cc); the
# tests make their SCRAM users themselves with AlterUserScramCredentials on the plaintext listener.
#
# Usage: tests/client/security_run.sh BROOKD BROOK_CLIENT_IT [gtest args...]
# Ports: BROOK_CLIENT_PORT (default 30500) + 40..45.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
[[ $# -ge 2 ]] || { sed -n '2,12p' "$0" >&2; exit 2; }
brookd=$(realpath "$1")
it=$(realpath "$2")
shift 2
base=$((${BROOK_CLIENT_PORT:-30500} + 40))

work=$(mktemp -d "${TMPDIR:-/tmp}/brook-client-security.XXXXXX")
pid=""
cleanup() {
  [[ -n $pid ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

certs="$work/certs"
bash "$root/tests/compat/security/make_certs.sh" "$certs"
cd "$certs"
quiet() { "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; "$@"; exit 1; }; }
# A trust store holding only the CA, as PKCS12 (what Java calls JKS by default reads).
quiet openssl pkcs12 -export -nokeys -in ca.pem -out ca-trust.p12 -passout pass:brook-pass
# A broker certificate for another host name, for the host name check.
quiet openssl req -newkey rsa:2048 -nodes -keyout elsewhere.key -out elsewhere.csr \
  -subj "/CN=elsewhere.invalid"
printf 'subjectAltName=DNS:elsewhere.invalid\nextendedKeyUsage=serverAuth\n' >elsewhere.ext
quiet openssl x509 -req -in elsewhere.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
  -out elsewhere.crt -days 3650 -extfile elsewhere.ext
cat elsewhere.key elsewhere.crt ca.pem >elsewhere.pem
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
                              "exp": now + lifetime}).encode())
    signed = f"{head}.{body}".encode()
    sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", f"{folder}/jwt.key"],
                         input=signed, check=True, capture_output=True).stdout
    return f"{head}.{body}.{b64url(sig)}"
for name, lifetime in (("token", 3600), ("expired", -600)):
    with open(f"{folder}/{name}.jwt", "w") as f:
        f.write(token(lifetime))
PY
cd "$root"

plain_users='user_alice="alice-secret" user_bob="bob-secret"'
jaas="org.apache.kafka.common.security.plain.PlainLoginModule required username=\"admin\" password=\"admin-secret\" $plain_users;"
p_plain=$base p_ssl=$((base + 1)) p_mtls=$((base + 2)) p_sasl_ssl=$((base + 3))
p_sasl_plain=$((base + 4)) p_wrong=$((base + 5))
mkdir -p "$work/data"
"$brookd" \
  --override "listeners=PLAINTEXT://127.0.0.1:$p_plain,SSL://127.0.0.1:$p_ssl,MTLS://127.0.0.1:$p_mtls,SASL_SSL://127.0.0.1:$p_sasl_ssl,SASL_PLAINTEXT://127.0.0.1:$p_sasl_plain,WRONGHOST://127.0.0.1:$p_wrong" \
  --override "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,SSL:SSL,MTLS:SSL,SASL_SSL:SASL_SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,WRONGHOST:SSL" \
  --override "log.dirs=$work/data" --override num.partitions=1 \
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
  --override "listener.name.sasl_ssl.plain.sasl.jaas.config=$jaas" \
  --override "listener.name.sasl_plaintext.plain.sasl.jaas.config=$jaas" \
  --override listener.name.sasl_plaintext.connections.max.reauth.ms=2000 \
  >"$work/brookd.log" 2>&1 &
pid=$!
for port in $p_plain $p_ssl $p_mtls $p_sasl_ssl $p_sasl_plain $p_wrong; do
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
  done
done

status=0
echo "--- brook_client_it Security* against brookd's secured listeners"
BROOK_SEC_PLAINTEXT=127.0.0.1:$p_plain BROOK_SEC_SSL=127.0.0.1:$p_ssl \
  BROOK_SEC_MTLS=127.0.0.1:$p_mtls BROOK_SEC_SASL_SSL=127.0.0.1:$p_sasl_ssl \
  BROOK_SEC_SASL_PLAINTEXT=127.0.0.1:$p_sasl_plain BROOK_SEC_WRONG_HOST=127.0.0.1:$p_wrong \
  BROOK_SEC_CERTS=$certs BROOK_SEC_PLAIN=alice:alice-secret \
  BROOK_SEC_SCRAM256=carol:carol-secret BROOK_SEC_SCRAM512=dave:dave-secret \
  BROOK_SEC_TOKEN=$(cat "$certs/token.jwt") BROOK_SEC_EXPIRED_TOKEN=$(cat "$certs/expired.jwt") \
  BROOK_TEST_BOOTSTRAP=127.0.0.1:$p_plain BROOK_TEST_BROKER=brook \
  timeout 900 "$it" --gtest_filter='Security*' "$@" || status=1
kill "$pid" && wait "$pid" 2>/dev/null || true
pid=""
if grep -E "AddressSanitizer|runtime error" "$work/brookd.log" | head -5 | grep -q .; then
  echo "--- brookd reported memory errors:"
  grep -E "AddressSanitizer|runtime error" "$work/brookd.log" | head -20
  status=1
fi
[[ $status == 0 ]] && echo "--- security: passed" || echo "--- security: FAILED"
exit $status
