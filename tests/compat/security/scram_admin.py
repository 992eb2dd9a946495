"""SCRAM credential administration through librdkafka (confluent-kafka's AdminClient), for
scram_users.sh: what the Java tool refuses before sending (too few iterations) reaches the broker
here, so the broker's own refusal is seen by a real client.

    python scram_admin.py BOOTSTRAP upsert USER MECHANISM ITERATIONS PASSWORD
    python scram_admin.py BOOTSTRAP delete USER MECHANISM
    python scram_admin.py BOOTSTRAP describe [USER...]

Prints one line per user: "USER ok", "USER error CODE_NAME: message", or for describe
"USER MECHANISM=ITERATIONS ..." (mechanisms sorted).
"""

import sys

from confluent_kafka import KafkaException
from confluent_kafka.admin import (AdminClient, ScramCredentialInfo, ScramMechanism,
                                   UserScramCredentialDeletion, UserScramCredentialUpsertion)


def mechanism(name):
    return {"SCRAM-SHA-256": ScramMechanism.SCRAM_SHA_256,
            "SCRAM-SHA-512": ScramMechanism.SCRAM_SHA_512}[name]


def error_text(e):
    err = e.args[0] if e.args else e
    if hasattr(err, "name"):
        return f"error {err.name()}: {err.str()}"
    return f"error {e}"


def main():
    bootstrap, op, *args = sys.argv[1:]
    admin = AdminClient({"bootstrap.servers": bootstrap})
    if op in ("upsert", "delete"):
        user, mech = args[0], mechanism(args[1])
        if op == "upsert":
            alteration = UserScramCredentialUpsertion(
                user, ScramCredentialInfo(mech, int(args[2])), args[3].encode())
        else:
            alteration = UserScramCredentialDeletion(user, mech)
        for name, future in admin.alter_user_scram_credentials([alteration]).items():
            try:
                future.result(timeout=30)
                print(f"{name} ok")
            except KafkaException as e:
                print(f"{name} {error_text(e)}")
        return
    futures = admin.describe_user_scram_credentials(args or None)
    if not isinstance(futures, dict):  # all users: one future for the whole answer
        descriptions = futures.result(timeout=30)
        futures = None
    else:
        descriptions = {}
        for name, future in futures.items():
            try:
                descriptions[name] = future.result(timeout=30)
            except KafkaException as e:
                print(f"{name} {error_text(e)}")
    for name in sorted(descriptions):
        infos = sorted(f"{i.mechanism.name.replace('_', '-')}={i.iterations}"
                       for i in descriptions[name].scram_credential_infos)
        print(name, " ".join(infos))


if __name__ == "__main__":
    main()
