"""GSSAPI (Kerberos) against brookd with a real KDC from Debian's krb5 packages.

A KDC for realm BROOK.TEST runs here on a free port, with the principals kafka/localhost (the
broker's, in its keytab), other/localhost, alice and bob (alice's keys in her keytab). brookd
serves SASL_PLAINTEXT with GSSAPI (sasl.kerberos.service.name=kafka, a Krb5LoginModule entry with
keyTab and principal).

roundtrip: librdkafka (kcat on Debian's librdkafka: kinit from its keytab, Cyrus SASL) and the Java client (Krb5LoginModule)
           produce records and read them back as alice.
refused:   a client holding a ticket for another service (other/localhost) is refused by brookd.

Usage: gssapi_check.py BROOKD. Environment: BROOK_JAVA_SECURITY_CP (class path with
kafka-clients and the compiled JavaSecurityCheck). Prints one line per check; exits 1 on any
failure.
"""

import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from brookd_process import BrookdProcess, pick_port  # noqa: E402

results = []


def check(name, ok, detail=""):
    results.append(ok)
    print(f"{'ok' if ok else 'FAILED'}: gssapi {name}{': ' + detail if detail else ''}", flush=True)


def start_kdc(work):
    port = pick_port()
    make_realm = os.path.join(os.path.dirname(os.path.abspath(__file__)), "make_realm.sh")
    subprocess.run(["bash", make_realm, work, str(port), "+kafka/localhost", "other/localhost",
                    "+alice", "bob"], check=True)
    env = dict(os.environ, KRB5_CONFIG=f"{work}/krb5.conf", KRB5_KDC_PROFILE=f"{work}/kdc.conf")
    kdc = subprocess.Popen(["krb5kdc", "-n"], env=env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    return kdc, env


def kcat_args(bootstrap, work, user):
    return ["-b", bootstrap, "-X", "security.protocol=SASL_PLAINTEXT", "-X",
            "sasl.mechanism=GSSAPI", "-X", "sasl.kerberos.service.name=kafka", "-X",
            f"sasl.kerberos.keytab={work}/{user}.keytab", "-X",
            f"sasl.kerberos.principal={user}@BROOK.TEST"]


def main():
    brookd = sys.argv[1]
    with tempfile.TemporaryDirectory(prefix="brook-gssapi-") as work:
        kdc, env = start_kdc(work)
        os.environ.update(KRB5_CONFIG=env["KRB5_CONFIG"], KRB5CCNAME=f"FILE:{work}/client-cc")
        port = pick_port()
        jaas = ("com.sun.security.auth.module.Krb5LoginModule required useKeyTab=true "
                f'storeKey=true keyTab="{work}/kafka.keytab" '
                'principal="kafka/localhost@BROOK.TEST";')
        b = BrookdProcess(brookd, work, port=port, overrides=[
            f"listeners=SASL_PLAINTEXT://127.0.0.1:{port}",
            f"advertised.listeners=SASL_PLAINTEXT://localhost:{port}",
            "sasl.enabled.mechanisms=GSSAPI", "sasl.kerberos.service.name=kafka",
            f"listener.name.sasl_plaintext.gssapi.sasl.jaas.config={jaas}"])
        b.start()
        bootstrap = f"localhost:{port}"
        try:
            # librdkafka through kcat: Debian's build has Cyrus SASL (the Python wheel has no
            # GSSAPI).
            sent = "".join(f"krb-{i}\n" for i in range(20))
            r = subprocess.run(["kcat", *kcat_args(bootstrap, work, "alice"), "-t", "gssapi-rdk",
                                "-p", "0", "-P"], input=sent, capture_output=True, text=True,
                               timeout=60)
            r2 = subprocess.run(["kcat", *kcat_args(bootstrap, work, "alice"), "-t", "gssapi-rdk",
                                 "-C", "-e", "-q"], capture_output=True, text=True, timeout=60)
            check("roundtrip: librdkafka (kcat) as alice", r.returncode == 0 and r2.stdout == sent,
                  f"{r2.stdout.count(chr(10))} of 20 read; {r.stderr[-200:]}")

            java_cp = os.environ.get("BROOK_JAVA_SECURITY_CP")
            if java_cp:
                props = f"{work}/java.properties"
                with open(props, "w") as f:
                    f.write(f"bootstrap.servers={bootstrap}\nsecurity.protocol=SASL_PLAINTEXT\n"
                            "sasl.mechanism=GSSAPI\nsasl.kerberos.service.name=kafka\n"
                            "sasl.jaas.config=com.sun.security.auth.module.Krb5LoginModule "
                            f'required useKeyTab=true storeKey=true keyTab="{work}/alice.keytab" '
                            'principal="alice@BROOK.TEST";\n')
                r = subprocess.run(["java", f"-Djava.security.krb5.conf={work}/krb5.conf", "-cp",
                                    java_cp, "JavaSecurityCheck", props, "roundtrip", "gssapi-java",
                                    "20"], capture_output=True, text=True, timeout=120)
                out = (r.stdout + r.stderr).strip()
                check("roundtrip: the Java client as alice", r.returncode == 0 and
                      out.endswith("ok 20"), out[-200:])

            # A ticket for another service (other/localhost): brookd's keytab cannot read it.
            before = sum("GSSAPI authentication failed" in line for line in b.log_lines())
            args = kcat_args(bootstrap, work, "alice")
            args[args.index("sasl.kerberos.service.name=kafka")] = "sasl.kerberos.service.name=other"
            r = subprocess.run(["kcat", *args, "-L", "-m", "8"], capture_output=True, text=True,
                               timeout=60)
            logged = sum("GSSAPI authentication failed" in line for line in b.log_lines()) - before
            check("refused: a ticket for another service", r.returncode != 0 and logged > 0,
                  f"brookd logged {logged} refusals")
            check("brookd still runs", b.proc.poll() is None)
        finally:
            if any(not r for r in results):
                print("".join(b.log_lines()[-20:]))
            b.stop()
            kdc.kill()
            kdc.wait()
    failed = results.count(False)
    print(f"gssapi: {len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
