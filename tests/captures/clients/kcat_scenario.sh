#!/usr/bin/env bash
# The capture scenario for kcat (librdkafka as packaged by the distribution): metadata, a produce
# per compression codec (keys, values, headers; the topic is created on first use), a consumer
# group that commits, and offset queries. kcat cannot create, describe or delete topics.
#
# Usage: kcat_scenario.sh BOOTSTRAP TOPIC GROUP
set -euo pipefail
bootstrap=$1 topic=$2 group=$3
k() { timeout 60 kcat -b "$bootstrap" -X client.id=brook-captures-kcat "$@"; }

for codec in none gzip snappy lz4 zstd; do
  printf 'key-%s-0\tvalue 0 compressed with %s\nkey-%s-1\tvalue 1 compressed with %s\n' \
    "$codec" "$codec" "$codec" "$codec" |
    k -P -t "$topic" -K $'\t' -z "$codec" -H "codec=$codec" -H "n=01" -X linger.ms=50
done
k -L -t "$topic"
# Balanced consumer: joins the group, reads the 10 records, commits them when it closes.
k -G "$group" -X auto.offset.reset=earliest -c 10 -f 'kcat: %k = %s (%h)\n' "$topic"
# Offset queries by logical timestamp: -2 is the start of the log, -1 its end.
k -Q -t "$topic:0:-2"
k -Q -t "$topic:0:-1"
