#!/usr/bin/env bash
# Prints the class path of the Java client the compat tests compile their checks against:
# kafka-clients 4.4.0 and its codecs and logging, and Jackson and jose4j (which its OAuth login
# reads tokens with), from Maven Central (scripts/fetch-jar.sh caches).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cp=""
for artifact in org.apache.kafka:kafka-clients:4.4.0 com.github.luben:zstd-jni:1.5.7-17 \
  at.yawk.lz4:lz4-java:1.11.2 org.xerial.snappy:snappy-java:1.1.10.7 org.slf4j:slf4j-api:1.7.36 \
  org.slf4j:slf4j-nop:1.7.36 com.fasterxml.jackson.core:jackson-databind:2.21.3 \
  com.fasterxml.jackson.core:jackson-core:2.21.3 com.fasterxml.jackson.core:jackson-annotations:2.21 \
  org.bitbucket.b_c:jose4j:0.9.6; do
  cp+="${cp:+:}$("$root/scripts/fetch-jar.sh" "$artifact")"
done
echo "$cp"
