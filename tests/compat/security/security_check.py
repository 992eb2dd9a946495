"""Clients of every family over brookd's secured listeners, configured only with their own
usual settings, and bad input on those listeners.

brookd serves five listeners: PLAINTEXT (set-up only), SSL (PKCS12 key store), MTLS (SSL with
ssl.client.auth=required, a PEM key store and ssl.principal.mapping.rules), SASL_SSL (inline PEM
key store) and SASL_PLAINTEXT (connections.max.reauth.ms short, so sessions expire).

roundtrip:  confluent-kafka (librdkafka), kafka-python, the Java client, franz-go and KafkaJS each
            produce records and read them back over SSL, mutual TLS and SASL (PLAIN, SCRAM-SHA-256
            and SCRAM-SHA-512 with users made by AlterUserScramCredentials, OAUTHBEARER with RS256
            JWTs checked against a JWKS file), each on its own topic.
refused:    wrong PLAIN and SCRAM passwords, an expired token, a token signed by an unknown key, a
            missing client certificate and a certificate from an untrusted CA are refused (each
            family reports an authentication error), and the others go on.
bad input:  a plaintext client on a TLS port, garbage instead of a TLS handshake, requests before
            SASL authentication, an oversized frame before authentication, and slow-loris
            connections trickling bytes: each is closed (or just waits) while clients keep working.
principals: with the StandardAuthorizer, ACLs for User:alice (her certificate's CN, mapped),
            User:carol (SCRAM) and User:erin (a token's subject) let each write only topics
            prefixed with their own name.
reauth:     across sessions that expire every 2 s, the Java client re-authenticates (KIP-368) and
            librdkafka (which cannot) reconnects: a steady producer of each loses nothing.

Usage: security_check.py BROOKD. Environment: BROOK_JAVA_SECURITY_CP (class path with
kafka-clients and the compiled JavaSecurityCheck), BROOK_FRANZ_SECURITY (the franz-go binary),
BROOK_KAFKAJS_SECURITY (security.js). Prints one line per check; exits 1 on any failure.
"""

import json
import os
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition, OFFSET_BEGINNING
from confluent_kafka.admin import AdminClient, NewTopic

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from brookd_process import BrookdProcess, pick_port  # noqa: E402

here = os.path.dirname(os.path.abspath(__file__))
results = []


def check(name, ok, detail=""):
    results.append(ok)
    print(f"{'ok' if ok else 'FAILED'}: {name}{': ' + detail if detail else ''}", flush=True)


USERS = {"alice": "alice-secret", "bob": "bob-secret"}
SCRAM_USERS = {"carol": ("SCRAM-SHA-256", "carol-secret"), "dave": ("SCRAM-SHA-512", "dave-secret")}


def b64url(data):
    import base64
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_jwks(folder):
    """An RSA signing key (jwt.key) and its JWKS (jwks.json, kid k1); a second key the broker
    does not know (rogue.key). Made with the openssl command, no Python crypto needed."""
    for name in ("jwt", "rogue"):
        subprocess.run(["openssl", "genrsa", "-out", f"{folder}/{name}.key", "2048"], check=True,
                       capture_output=True)
    out = subprocess.run(["openssl", "rsa", "-in", f"{folder}/jwt.key", "-noout", "-modulus"],
                         check=True, capture_output=True, text=True).stdout
    n = bytes.fromhex(out.strip().split("=", 1)[1])
    jwks = {"keys": [{"kty": "RSA", "kid": "k1", "use": "sig", "alg": "RS256",
                      "n": b64url(n), "e": b64url((65537).to_bytes(3, "big"))}]}
    with open(f"{folder}/jwks.json", "w") as f:
        json.dump(jwks, f)


def make_token(folder, sub, lifetime_s=3600, key="jwt"):
    """A JWT signed RS256 by `key` for `sub`, issuer brook-test, audience brook."""
    now = int(time.time())
    header = b64url(json.dumps({"alg": "RS256", "typ": "JWT", "kid": "k1"}).encode())
    claims = {"sub": sub, "iss": "brook-test", "aud": "brook", "iat": now - 60,
              "exp": now + lifetime_s, "scope": "kafka"}
    payload = b64url(json.dumps(claims).encode())
    signing_input = f"{header}.{payload}".encode()
    sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", f"{folder}/{key}.key"],
                         input=signing_input, check=True, capture_output=True).stdout
    return f"{header}.{payload}.{b64url(sig)}"


class Setup:
    def __init__(self, brookd, work):
        self.work = work
        self.certs = os.path.join(work, "certs")
        subprocess.run(["bash", os.path.join(here, "make_certs.sh"), self.certs], check=True)
        make_jwks(self.certs)
        self.token = make_token(self.certs, "erin")
        self.expired_token = make_token(self.certs, "erin", lifetime_s=-600)
        self.rogue_token = make_token(self.certs, "erin", key="rogue")
        for name, value in (("token", self.token), ("expired", self.expired_token),
                            ("rogue", self.rogue_token)):
            with open(os.path.join(self.certs, f"{name}.jwt"), "w") as f:
                f.write(value)
        ports = {}
        for name in ("PLAINTEXT", "SSL", "MTLS", "SASL_SSL", "SASL_PLAINTEXT"):
            while True:
                p = pick_port()
                if p not in ports.values():
                    ports[name] = p
                    break
        self.ports = ports
        c = self.certs
        jaas = ("org.apache.kafka.common.security.plain.PlainLoginModule required "
                'username="admin" password="admin-secret" '
                + " ".join(f'user_{u}="{p}"' for u, p in USERS.items()) + ";")
        with open(os.path.join(c, "broker.key")) as f:
            key_pem = f.read()
        with open(os.path.join(c, "broker.crt")) as f, open(os.path.join(c, "ca.pem")) as g:
            chain_pem = f.read() + g.read()
        overrides = [
            "listeners=" + ",".join(f"{n}://127.0.0.1:{p}" for n, p in ports.items()),
            "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,SSL:SSL,MTLS:SSL,"
            "SASL_SSL:SASL_SSL,SASL_PLAINTEXT:SASL_PLAINTEXT",
            # SSL: a PKCS12 key store.
            "listener.name.ssl.ssl.keystore.type=PKCS12",
            f"listener.name.ssl.ssl.keystore.location={c}/broker.p12",
            "listener.name.ssl.ssl.keystore.password=brook-pass",
            # MTLS: a PEM key store file, client certificates required and mapped.
            "listener.name.mtls.ssl.keystore.type=PEM",
            f"listener.name.mtls.ssl.keystore.location={c}/broker.pem",
            "listener.name.mtls.ssl.client.auth=required",
            "listener.name.mtls.ssl.truststore.type=PEM",
            f"listener.name.mtls.ssl.truststore.location={c}/ca.pem",
            "listener.name.mtls.ssl.principal.mapping.rules=RULE:^CN=([^,]*),.*$/$1/L,DEFAULT",
            # SASL_SSL: an inline PEM key store.
            "listener.name.sasl_ssl.ssl.keystore.type=PEM",
            f"listener.name.sasl_ssl.ssl.keystore.key={key_pem}",
            f"listener.name.sasl_ssl.ssl.keystore.certificate.chain={chain_pem}",
            "sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512,OAUTHBEARER",
            f"sasl.oauthbearer.jwks.endpoint.url=file://{c}/jwks.json",
            "sasl.oauthbearer.expected.audience=brook",
            "sasl.oauthbearer.expected.issuer=brook-test",
            f"listener.name.sasl_ssl.plain.sasl.jaas.config={jaas}",
            f"listener.name.sasl_plaintext.plain.sasl.jaas.config={jaas}",
            "listener.name.sasl_plaintext.connections.max.reauth.ms=2000",
        ]
        self.brookd = BrookdProcess(brookd, work, overrides=overrides, port=ports["PLAINTEXT"])
        self.brookd.start()
        self.add_scram_users()

    def add_scram_users(self):
        from confluent_kafka.admin import (ScramCredentialInfo, ScramMechanism,
                                           UserScramCredentialUpsertion)
        admin = AdminClient({"bootstrap.servers": self.bootstrap("PLAINTEXT")})
        upserts = [UserScramCredentialUpsertion(
            user, ScramCredentialInfo(getattr(ScramMechanism, mech.replace("-", "_")), 8192),
            password.encode()) for user, (mech, password) in SCRAM_USERS.items()]
        for f in admin.alter_user_scram_credentials(upserts).values():
            f.result(30)

    def bootstrap(self, listener):
        return f"127.0.0.1:{self.ports[listener]}"

    def profile(self, name):
        """A connection profile: listener, TLS files, SASL mechanism and credentials."""
        c = self.certs
        profiles = {
            "ssl": dict(listener="SSL", ca=f"{c}/ca.pem"),
            "mtls": dict(listener="MTLS", ca=f"{c}/ca.pem", cert=f"{c}/alice.crt",
                         key=f"{c}/alice.key"),
            "sasl_ssl_plain": dict(listener="SASL_SSL", ca=f"{c}/ca.pem", mechanism="PLAIN",
                                   user="alice", password=USERS["alice"]),
            "sasl_plaintext_plain": dict(listener="SASL_PLAINTEXT", mechanism="PLAIN",
                                         user="bob", password=USERS["bob"]),
            "sasl_ssl_scram256": dict(listener="SASL_SSL", ca=f"{c}/ca.pem",
                                      mechanism="SCRAM-SHA-256", user="carol",
                                      password=SCRAM_USERS["carol"][1]),
            "sasl_ssl_scram512": dict(listener="SASL_SSL", ca=f"{c}/ca.pem",
                                      mechanism="SCRAM-SHA-512", user="dave",
                                      password=SCRAM_USERS["dave"][1]),
            "sasl_ssl_oauth": dict(listener="SASL_SSL", ca=f"{c}/ca.pem", mechanism="OAUTHBEARER",
                                   token=self.token, token_file=f"{c}/token.jwt"),
            # Refused ones.
            "wrong_password": dict(listener="SASL_SSL", ca=f"{c}/ca.pem", mechanism="PLAIN",
                                   user="alice", password="not-her-password"),
            "mtls_no_cert": dict(listener="MTLS", ca=f"{c}/ca.pem"),
            "scram_wrong_password": dict(listener="SASL_SSL", ca=f"{c}/ca.pem",
                                         mechanism="SCRAM-SHA-256", user="carol",
                                         password="not-her-password"),
            "oauth_expired": dict(listener="SASL_SSL", ca=f"{c}/ca.pem", mechanism="OAUTHBEARER",
                                  token=self.expired_token, token_file=f"{c}/expired.jwt"),
            "oauth_rogue_key": dict(listener="SASL_SSL", ca=f"{c}/ca.pem",
                                    mechanism="OAUTHBEARER", token=self.rogue_token,
                                    token_file=f"{c}/rogue.jwt"),
            "mtls_untrusted": dict(listener="MTLS", ca=f"{c}/ca.pem", cert=f"{c}/mallory.crt",
                                   key=f"{c}/mallory.key"),
        }
        p = dict(profiles[name])
        p["bootstrap"] = self.bootstrap(p["listener"])
        p["protocol"] = ("SASL_" if "mechanism" in p else "") + ("SSL" if "ca" in p else "PLAINTEXT")
        return p


# Each family's settings for a profile, in its own configuration names.

def librdkafka_conf(p):
    conf = {"bootstrap.servers": p["bootstrap"], "security.protocol": p["protocol"]}
    if "ca" in p:
        conf["ssl.ca.location"] = p["ca"]
    if "cert" in p:
        conf["ssl.certificate.location"] = p["cert"]
        conf["ssl.key.location"] = p["key"]
    if p.get("mechanism") == "OAUTHBEARER":
        token = p["token"]
        conf.update({"sasl.mechanism": "OAUTHBEARER",
                     "oauth_cb": lambda _config: (token, time.time() + 3600)})
    elif "mechanism" in p:
        conf.update({"sasl.mechanism": p["mechanism"], "sasl.username": p["user"],
                     "sasl.password": p["password"]})
    return conf


def java_properties(p, path):
    lines = [f"bootstrap.servers={p['bootstrap']}", f"security.protocol={p['protocol']}"]
    if "ca" in p:
        lines += ["ssl.truststore.type=PEM", f"ssl.truststore.location={p['ca']}"]
    if "cert" in p:
        # A PKCS12 key store made from the same key and certificate.
        lines += ["ssl.keystore.type=PKCS12",
                  f"ssl.keystore.location={p['cert'][:-4]}.p12",
                  "ssl.keystore.password=brook-pass"]
    if p.get("mechanism") == "OAUTHBEARER":
        # The token comes from a file, through the login callback handler's token endpoint.
        lines += ["sasl.mechanism=OAUTHBEARER",
                  "sasl.login.callback.handler.class=org.apache.kafka.common.security."
                  "oauthbearer.OAuthBearerLoginCallbackHandler",
                  f"sasl.oauthbearer.token.endpoint.url=file://{p['token_file']}",
                  "sasl.jaas.config=org.apache.kafka.common.security.oauthbearer."
                  "OAuthBearerLoginModule required ;"]
    elif "mechanism" in p:
        module = {"PLAIN": "org.apache.kafka.common.security.plain.PlainLoginModule"}.get(
            p["mechanism"], "org.apache.kafka.common.security.scram.ScramLoginModule")
        lines += [f"sasl.mechanism={p['mechanism']}",
                  f'sasl.jaas.config={module} required username="{p["user"]}" '
                  f'password="{p["password"]}";']
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def java_flags(p):
    """Kafka 4 reads OAuth token URLs only when allowed by this system property."""
    if "token_file" in p:
        return [f"-Dorg.apache.kafka.sasl.oauthbearer.allowed.urls=file://{p['token_file']}"]
    return []


def franz_args(p):
    args = ["-bootstrap", p["bootstrap"]]
    if "ca" in p:
        args += ["-tls", "-ca", p["ca"]]
    if "cert" in p:
        args += ["-cert", p["cert"], "-key", p["key"]]
    if p.get("mechanism") == "OAUTHBEARER":
        args += ["-mechanism", "OAUTHBEARER", "-token", p["token"]]
    elif "mechanism" in p:
        args += ["-mechanism", p["mechanism"], "-user", p["user"], "-password", p["password"]]
    return args


def kafka_python_conf(p):
    conf = {"bootstrap_servers": p["bootstrap"], "security_protocol": p["protocol"],
            "request_timeout_ms": 15000}
    if "ca" in p:
        conf.update({"ssl_cafile": p["ca"], "ssl_check_hostname": True})
    if "cert" in p:
        conf.update({"ssl_certfile": p["cert"], "ssl_keyfile": p["key"]})
    if p.get("mechanism") == "OAUTHBEARER":
        try:
            from kafka.net.sasl.oauth import AbstractTokenProvider  # kafka-python 3
        except ImportError:
            from kafka.sasl.oauth import AbstractTokenProvider  # kafka-python 2

        class Provider(AbstractTokenProvider):
            def token(self):
                return p["token"]

        conf.update({"sasl_mechanism": "OAUTHBEARER", "sasl_oauth_token_provider": Provider()})
    elif "mechanism" in p:
        conf.update({"sasl_mechanism": p["mechanism"], "sasl_plain_username": p["user"],
                     "sasl_plain_password": p["password"]})
    return conf


def run(argv, timeout=120, **kw):
    try:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **kw)
        return r.returncode, (r.stdout + r.stderr).strip()
    except subprocess.TimeoutExpired:
        return -1, "timed out"


class Families:
    def __init__(self, setup, work):
        self.setup = setup
        self.work = work
        self.java_cp = os.environ.get("BROOK_JAVA_SECURITY_CP")
        self.franz = os.environ.get("BROOK_FRANZ_SECURITY")
        self.kafkajs = os.environ.get("BROOK_KAFKAJS_SECURITY")

    def auth_failures(self):
        return sum("authentication failed" in line for line in self.setup.brookd.log_lines())

    def names(self):
        out = ["confluent-kafka", "kafka-python"]
        if self.java_cp:
            out.append("java")
        if self.franz:
            out.append("franz-go")
        if self.kafkajs:
            out.append("kafkajs")
        return out

    def roundtrip(self, family, p, topic, count=20):
        """(ok, detail) of producing `count` records and reading them back."""
        try:
            return self._roundtrip(family, p, topic, count)
        except Exception as e:  # a client's own failure is a failed check, not a crash
            return False, f"{type(e).__name__}: {e}"[:300]

    def _roundtrip(self, family, p, topic, count):
        if family == "confluent-kafka":
            return confluent_roundtrip(p, topic, count)
        if family == "kafka-python":
            return kafka_python_roundtrip(p, topic, count)
        if family == "java":
            props = java_properties(p, os.path.join(self.work, f"{topic}.properties"))
            rc, out = run(["java", *java_flags(p), "-cp", self.java_cp, "JavaSecurityCheck", props,
                           "roundtrip", topic, str(count)])
            return rc == 0 and out.endswith(f"ok {count}"), out[-300:]
        if family == "franz-go":
            rc, out = run([self.franz, *franz_args(p), "-mode", "roundtrip", "-topic", topic,
                           "-count", str(count)])
            return rc == 0 and out.endswith(f"ok {count}"), out[-300:]
        if family == "kafkajs":
            spec = dict(p, mode="roundtrip", topic=topic, count=count)
            rc, out = run(["node", self.kafkajs, json.dumps(spec)])
            return rc == 0 and out.endswith(f"ok {count}"), out[-300:]
        raise ValueError(family)

    def refused(self, family, p):
        """(ok, detail): ok when the family reports an authentication failure."""
        if family == "confluent-kafka":
            return confluent_refused(p)
        if family == "kafka-python":
            # After a legacy SaslHandshake v0 a refused client is simply disconnected, as Kafka
            # does; brookd's log then says why.
            before = self.auth_failures()
            ok, detail = kafka_python_refused(p)
            logged = self.auth_failures() - before
            return ok or logged > 0, f"{detail[-200:]}; brookd logged {logged} refusals"
        if family == "java":
            props = java_properties(p, os.path.join(self.work, "refused.properties"))
            rc, out = run(["java", *java_flags(p), "-cp", self.java_cp, "JavaSecurityCheck", props,
                           "refused", "x"])
            return rc == 0 and "refused" in out, out[-300:]
        if family == "franz-go":
            rc, out = run([self.franz, *franz_args(p), "-mode", "refused", "-topic", "x"])
            return rc == 0 and out.startswith("refused"), out[-300:]
        if family == "kafkajs":
            rc, out = run(["node", self.kafkajs, json.dumps(dict(p, mode="refused", topic="x"))])
            return rc == 0 and out.startswith("refused"), out[-300:]
        raise ValueError(family)


def confluent_roundtrip(p, topic, count):
    conf = librdkafka_conf(p)
    errors = []
    producer = Producer(dict(conf, **{"acks": "all", "error_cb": errors.append}))
    sent = [f"rdk-{i}" for i in range(count)]
    delivered = []
    for v in sent:
        producer.produce(topic, v.encode(), partition=0,
                         on_delivery=lambda err, msg: delivered.append(err))
    producer.flush(30)
    if len(delivered) != count or any(delivered):
        return False, f"delivered {len(delivered)}: {delivered[:3]} {errors[:3]}"
    consumer = Consumer(dict(conf, **{"group.id": f"rdk-{topic}", "enable.auto.commit": False}))
    consumer.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
    got = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and len(got) < count:
        m = consumer.poll(0.5)
        if m is not None and not m.error() and m.value().startswith(b"rdk-"):
            got.append(m.value().decode())
    consumer.close()
    return got == sent, f"read back {len(got)} of {count}"


def confluent_refused(p):
    errors = []
    producer = Producer(dict(librdkafka_conf(p), error_cb=errors.append))
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not errors:
        producer.poll(0.5)
    text = "; ".join(str(e) for e in errors)
    refused = any(word in text.lower() for word in ("authentication", "ssl", "certificate"))
    return refused, text[:300]


def kafka_python_roundtrip(p, topic, count):
    from kafka import KafkaConsumer, KafkaProducer, TopicPartition as KTP
    conf = kafka_python_conf(p)
    producer = KafkaProducer(acks="all", **conf)
    sent = [f"kpy-{i}" for i in range(count)]
    for v in sent:
        producer.send(topic, v.encode(), partition=0).get(30)
    producer.close()
    consumer = KafkaConsumer(enable_auto_commit=False, consumer_timeout_ms=20000, **conf)
    tp = KTP(topic, 0)
    consumer.assign([tp])
    consumer.seek_to_beginning(tp)
    got = []
    for m in consumer:
        if m.value.startswith(b"kpy-"):
            got.append(m.value.decode())
        if len(got) >= count:
            break
    consumer.close()
    return got == sent, f"read back {len(got)} of {count}"


def kafka_python_refused(p):
    """kafka-python retries until its bootstrap times out; its log says why."""
    import logging
    from kafka import KafkaAdminClient

    class Keep(logging.Handler):
        def __init__(self):
            super().__init__()
            self.lines = []

        def emit(self, record):
            self.lines.append(record.getMessage())

    keep = Keep()
    logger = logging.getLogger("kafka")
    logger.addHandler(keep)
    logger.setLevel(logging.WARNING)
    try:
        admin = KafkaAdminClient(**kafka_python_conf(p))
        admin.list_topics()
        admin.close()
        return False, "listed topics"
    except Exception as e:  # kafka-python raises its own error classes and ssl's
        text = " | ".join(keep.lines[-3:]) + f" | {type(e).__name__}: {e}"
        refused = any(w in text for w in ("uthentication", "SSL", "CERTIFICATE", "certificate"))
        return refused, text[:300]
    finally:
        logger.removeHandler(keep)


def raw_connect(setup, listener):
    return socket.create_connection(("127.0.0.1", setup.ports[listener]), 5)


def closed_by_server(s, timeout=15):
    """True when the server closes `s` (reads EOF or a reset) within `timeout` seconds."""
    s.settimeout(timeout)
    try:
        while True:
            data = s.recv(4096)
            if not data:
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False


def frame(key, version, body, correlation=7):
    """A request frame with header v1 (client id "raw")."""
    data = struct.pack(">hhih", key, version, correlation, 3) + b"raw" + body
    return struct.pack(">i", len(data)) + data


def exchange(s, key, version, body):
    """Sends a request and returns the response body (after the correlation id)."""
    s.sendall(frame(key, version, body))
    size = struct.unpack(">i", recv_exactly(s, 4))[0]
    return recv_exactly(s, size)[4:]


def recv_exactly(s, n):
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            raise ConnectionError("closed by brookd")
        data += chunk
    return data


def metadata_request():
    """Metadata v1 for every topic."""
    return frame(3, 1, struct.pack(">i", -1))


def bad_input(setup, families):
    # A plaintext Kafka request on a TLS port: the handshake fails and the connection is closed.
    s = raw_connect(setup, "SSL")
    s.sendall(metadata_request())
    check("bad input: a plaintext request on an SSL port closes the connection",
          closed_by_server(s))
    s.close()
    # Garbage instead of a handshake.
    s = raw_connect(setup, "SASL_SSL")
    s.sendall(os.urandom(2048))
    check("bad input: garbage on a SASL_SSL port closes the connection", closed_by_server(s))
    s.close()
    # A request before SASL authentication.
    s = raw_connect(setup, "SASL_PLAINTEXT")
    s.sendall(metadata_request())
    check("bad input: Metadata before SASL authentication closes the connection",
          closed_by_server(s))
    s.close()
    # An oversized frame before authentication (sasl.server.max.receive.size, 512 KiB).
    s = raw_connect(setup, "SASL_PLAINTEXT")
    s.sendall(struct.pack(">i", 600 * 1024) + b"\0" * 1024)
    check("bad input: a 600 KiB frame before SASL authentication closes the connection",
          closed_by_server(s))
    s.close()
    # Garbage SASL tokens after a SaslHandshake v0 (raw tokens follow).
    s = raw_connect(setup, "SASL_PLAINTEXT")
    s.settimeout(5)
    error = struct.unpack(">h", exchange(s, 17, 0, struct.pack(">h", 5) + b"PLAIN")[:2])[0]
    check("bad input: SaslHandshake v0 for PLAIN is accepted", error == 0, f"error {error}")
    s.sendall(struct.pack(">i", 7) + b"\xff\x00\x01garb")
    check("bad input: a garbage raw PLAIN token closes the connection", closed_by_server(s))
    s.close()
    # Slow-loris: connections that trickle bytes of a handshake or a frame never hold up others.
    stop = threading.Event()
    socks = []
    for i in range(60):
        listener = ("SSL", "SASL_SSL", "SASL_PLAINTEXT", "MTLS")[i % 4]
        try:
            socks.append(raw_connect(setup, listener))
        except OSError:
            pass

    def trickle():
        while not stop.is_set():
            for s in socks:
                try:
                    s.send(b"\x16")
                except OSError:
                    pass
            stop.wait(0.2)

    t = threading.Thread(target=trickle, daemon=True)
    t.start()
    try:
        ok, detail = confluent_roundtrip(setup.profile("sasl_ssl_plain"), "slowloris", 20)
        check("slow-loris: 60 trickling connections, a SASL_SSL client round trip works", ok,
              detail)
        ok, detail = kafka_python_roundtrip(setup.profile("mtls"), "slowloris-mtls", 20)
        check("slow-loris: 60 trickling connections, an mTLS client round trip works", ok, detail)
    finally:
        stop.set()
        t.join()
        for s in socks:
            s.close()
    check("bad input: brookd still runs", setup.brookd.proc.poll() is None)


def expiry_closes(setup):
    return sum("expired without re-authentication" in line for line in setup.brookd.log_lines())


def reauth(setup, families):
    p = setup.profile("sasl_plaintext_plain")
    if "java" in families.names():
        before = expiry_closes(setup)
        props = java_properties(p, os.path.join(families.work, "reauth.properties"))
        rc, out = run(["java", "-cp", families.java_cp, "JavaSecurityCheck", props, "steady",
                       "reauth-java", "7"])
        closed = expiry_closes(setup) - before
        check("reauth: the Java client re-authenticates across 2 s sessions (KIP-368): all sent, "
              "no connection closed for expiry", rc == 0 and out.startswith("ok") and closed == 0,
              f"{out[-200:]}; {closed} closed")
    # confluent-kafka's bundled librdkafka re-authenticates too.
    before = expiry_closes(setup)
    producer = Producer(dict(librdkafka_conf(p), acks="all"))
    delivered = []
    n = 0
    end = time.monotonic() + 6
    while time.monotonic() < end:
        producer.produce("reauth-rdk", f"s{n}".encode(), partition=0,
                         on_delivery=lambda err, msg: delivered.append(err))
        producer.flush(10)
        time.sleep(0.2)
        n += 1
    producer.flush(30)
    closed = expiry_closes(setup) - before
    ok = len(delivered) == n and not any(delivered) and closed == 0
    check("reauth: confluent-kafka re-authenticates across 2 s sessions: all delivered, no "
          "connection closed for expiry", ok,
          f"{len(delivered)} of {n} delivered, {closed} closed")
    # A client that does not re-authenticate: SaslAuthenticate v1 answers the session lifetime,
    # a request within it is served, and the first one after it closes the connection.
    with raw_connect(setup, "SASL_PLAINTEXT") as s:
        s.settimeout(10)
        handshake = exchange(s, 17, 1, struct.pack(">h", 5) + b"PLAIN")
        token = b"\0" + p["user"].encode() + b"\0" + p["password"].encode()
        answer = exchange(s, 36, 1, struct.pack(">i", len(token)) + token)
        error = struct.unpack(">h", answer[0:2])[0]
        message_len = struct.unpack(">h", answer[2:4])[0]
        at = 4 + max(message_len, 0)
        bytes_len = struct.unpack(">i", answer[at:at + 4])[0]
        lifetime = struct.unpack(">q", answer[at + 4 + bytes_len:at + 12 + bytes_len])[0]
        served = len(exchange(s, 3, 1, struct.pack(">i", -1))) > 0
        time.sleep(2.5)
        s.sendall(frame(3, 1, struct.pack(">i", -1)))
        closed = closed_by_server(s)
        check("reauth: a session of 2 s is announced (session_lifetime_ms), served within it and "
              "closed at the first request after it",
              handshake[:2] == b"\0\0" and error == 0 and lifetime == 2000 and served and closed,
              f"error {error}, lifetime {lifetime}, served {served}, closed {closed}")


def principals(setup):
    """brookd again with the StandardAuthorizer (User:ANONYMOUS, the PLAINTEXT admin, is a super
    user): alice (mutual TLS, CN=alice mapped by ssl.principal.mapping.rules) and carol (SCRAM)
    may each write only topics prefixed with their name, erin (an OAUTHBEARER token's subject)
    only erin-*. Each can write its own and is refused the others': the principals ACLs see are
    the ones authentication made."""
    from confluent_kafka.admin import (AclBinding, AclOperation, AclPermissionType,
                                       ResourcePatternType, ResourceType)
    setup.brookd.stop()
    setup.brookd.overrides += [
        "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer",
        "super.users=User:ANONYMOUS"]
    setup.brookd.start()
    admin = AdminClient({"bootstrap.servers": setup.bootstrap("PLAINTEXT")})
    names = ("alice", "carol", "erin")
    bindings = [AclBinding(ResourceType.TOPIC, f"{n}-", ResourcePatternType.PREFIXED, f"User:{n}",
                           "*", AclOperation.ALL, AclPermissionType.ALLOW) for n in names]
    for f in admin.create_acls(bindings).values():
        f.result(30)
    for f in admin.create_topics([NewTopic(f"{n}-t", 1) for n in names]).values():
        f.result(30)
    profiles = {"alice": "mtls", "carol": "sasl_ssl_scram256", "erin": "sasl_ssl_oauth"}
    for who, profile in profiles.items():
        conf = librdkafka_conf(setup.profile(profile))
        for topic_owner in names:
            results_ = []
            producer = Producer(dict(conf, **{"message.timeout.ms": 10000}))
            producer.produce(f"{topic_owner}-t", b"x", partition=0,
                             on_delivery=lambda err, msg: results_.append(err))
            producer.flush(20)
            err = results_[0] if results_ else None
            if topic_owner == who:
                check(f"principals: {who} ({profile}) writes {topic_owner}-t", results_ == [None],
                      str(err))
            else:
                refused = err is not None and err.name() == "TOPIC_AUTHORIZATION_FAILED"
                check(f"principals: {who} ({profile}) is refused {topic_owner}-t", refused,
                      str(err))
    # Credentials are the cluster's: a user without ALTER on the cluster may not change them.
    from confluent_kafka.admin import (ScramCredentialInfo, ScramMechanism,
                                       UserScramCredentialUpsertion)
    carol = AdminClient(librdkafka_conf(setup.profile("sasl_ssl_scram256")))
    upsert = UserScramCredentialUpsertion(
        "carol", ScramCredentialInfo(ScramMechanism.SCRAM_SHA_256, 8192), b"new-password")
    try:
        list(carol.alter_user_scram_credentials([upsert]).values())[0].result(20)
        outcome = "changed"
    except KafkaException as e:
        outcome = e.args[0].name()
    check("principals: carol may not change SCRAM credentials (ALTER on the cluster)",
          outcome == "CLUSTER_AUTHORIZATION_FAILED", outcome)


def main():
    brookd = sys.argv[1]
    with tempfile.TemporaryDirectory(prefix="brook-security-") as work:
        setup = Setup(brookd, work)
        families = Families(setup, work)
        try:
            admin = AdminClient({"bootstrap.servers": setup.bootstrap("PLAINTEXT")})
            roundtrip_profiles = ["ssl", "mtls", "sasl_ssl_plain", "sasl_plaintext_plain",
                                  "sasl_ssl_scram256", "sasl_ssl_scram512", "sasl_ssl_oauth"]
            topics = [f"{f}-{p}" for f in families.names() for p in roundtrip_profiles]
            for f in admin.create_topics([NewTopic(t, 1) for t in topics]).values():
                f.result(30)
            for family in families.names():
                for prof in roundtrip_profiles:
                    ok, detail = families.roundtrip(family, setup.profile(prof),
                                                    f"{family}-{prof}")
                    check(f"roundtrip: {family} over {prof}", ok, detail)
            for family in families.names():
                for prof in ("wrong_password", "scram_wrong_password", "oauth_expired",
                             "oauth_rogue_key", "mtls_no_cert", "mtls_untrusted"):
                    ok, detail = families.refused(family, setup.profile(prof))
                    check(f"refused: {family} with {prof}", ok, detail)
            bad_input(setup, families)
            reauth(setup, families)
            principals(setup)
        finally:
            if any(not r for r in results):
                print("brookd log (last 40 lines):")
                print("".join(setup.brookd.log_lines()[-40:]))
            setup.brookd.stop()
    failed = results.count(False)
    print(f"security: {len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
