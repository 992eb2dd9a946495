#!/usr/bin/env bash
# Records what real Kafka clients send and what Apache Kafka 4.x answers, frame by frame, into
# tests/data/captures/<client>/ (see README.md in this folder).
#
# Usage: tests/captures/capture-all.sh [CLIENT...]
#   CLIENT is any of: kcat confluent-kafka java kafka-python franz-go (default: all of them).
#   Only the named clients' folders are replaced; index.json is rebuilt from every folder.
# Environment: see common.sh (versions, cache folders, ports); BROOK_CAPTURE_MAX_PER_API caps how
#   many requests of one API and version are kept per client (default 0: all);
#   BROOK_CAPTURE_OUT overrides the output folder.
#
# Installs what is missing (Debian packages as root, Maven jars, PyPI packages in a venv, Go
# modules), starts Kafka and the recording proxy on 127.0.0.1, runs each client's scenario with a
# time limit, and always stops the proxy and Kafka. Exits non-zero if any client failed; the
# other clients' captures are kept.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=common.sh
source "$here/common.sh"

out_root=${BROOK_CAPTURE_OUT:-$root/tests/data/captures}
max_per_api=${BROOK_CAPTURE_MAX_PER_API:-0}
scenario_timeout=${BROOK_CAPTURE_SCENARIO_TIMEOUT:-180}
all_clients=(kcat confluent-kafka java kafka-python franz-go)
clients=("$@")
[[ ${#clients[@]} -gt 0 ]] || clients=("${all_clients[@]}")
for c in "${clients[@]}"; do
  [[ " ${all_clients[*]} " == *" $c "* ]] || captures_die "unknown client '$c' (one of: ${all_clients[*]})"
done
wants() { [[ " ${clients[*]} " == *" $1 "* ]]; }

# ---- tools and client libraries -------------------------------------------------------------
command -v python3 >/dev/null || captures_apt_install python3
"$here/setup-kafka.sh"
libs="$BROOK_KAFKA_HOME/libs"

if wants kcat; then
  command -v kcat >/dev/null || captures_apt_install kcat
fi

if wants confluent-kafka || wants kafka-python; then
  stamp="$BROOK_CAPTURE_VENV/.brook-packages"
  if [[ ! -x "$BROOK_CAPTURE_VENV/bin/pip" ]]; then
    python3 -m venv "$BROOK_CAPTURE_VENV" 2>/dev/null || {
      captures_apt_install python3-venv
      python3 -m venv "$BROOK_CAPTURE_VENV"
    }
  fi
  if [[ "$(cat "$stamp" 2>/dev/null)" != "$BROOK_PIP_PACKAGES" ]]; then
    captures_log "installing into $BROOK_CAPTURE_VENV: $BROOK_PIP_PACKAGES"
    # shellcheck disable=SC2086
    timeout 600 "$BROOK_CAPTURE_VENV/bin/pip" install -q $BROOK_PIP_PACKAGES ||
      captures_die "pip install failed"
    echo "$BROOK_PIP_PACKAGES" >"$stamp"
  fi
fi
py="$BROOK_CAPTURE_VENV/bin/python"

java_cp=""
if wants java; then
  jdir="$BROOK_KAFKA_HOME/capture-java"
  kc="$libs/kafka-clients-$BROOK_KAFKA_VERSION.jar"
  if [[ ! -f "$jdir/CaptureScenario.class" || "$here/java/CaptureScenario.java" -nt "$jdir/CaptureScenario.class" ]]; then
    captures_log "compiling the Java scenario against kafka-clients $BROOK_KAFKA_VERSION"
    mkdir -p "$jdir"
    timeout 120 javac -d "$jdir" -cp "$kc" "$here/java/CaptureScenario.java"
  fi
  # kafka-clients and its runtime dependencies: compression codecs and logging.
  java_cp=$jdir
  for j in "$libs"/{kafka-clients,lz4-java,snappy-java,zstd-jni,slf4j-api,log4j-api,log4j-core,log4j-slf4j-impl}-*.jar; do
    java_cp+=":$j"
  done
fi

franz_bin="$HOME/.cache/brook/franz-capture"
franz_ok=1
if wants franz-go; then
  need=$(sed -n 's/^go \([0-9.]*\).*/\1/p' "$here/franz/go.mod")
  command -v go >/dev/null || captures_apt_install golang-go
  have=$(go env GOVERSION 2>/dev/null | sed 's/^go//')
  if [[ "$(printf '%s\n%s\n' "$need" "$have" | sort -V | head -n1)" != "$need" ]]; then
    captures_log "franz-go needs Go $need or newer, found Go $have: skipping franz-go"
    franz_ok=0
  else
    captures_log "building the franz-go scenario"
    mkdir -p "$(dirname "$franz_bin")"
    (cd "$here/franz" && GOTOOLCHAIN=local timeout 600 go build -o "$franz_bin" .) ||
      captures_die "cannot build the franz-go scenario"
  fi
fi

# ---- Kafka and the proxy ----------------------------------------------------------------------
state=$(mktemp -d "${TMPDIR:-/tmp}/brook-captures.XXXXXX")
proxy_pid=""
stop_proxy() {
  [[ -n "$proxy_pid" ]] || return 0
  kill -TERM "$proxy_pid" 2>/dev/null || true
  local waited=0
  while kill -0 "$proxy_pid" 2>/dev/null && ((waited < 50)); do
    sleep 0.2
    ((waited += 1))
  done
  kill -KILL "$proxy_pid" 2>/dev/null || true
  wait "$proxy_pid" 2>/dev/null || true
  proxy_pid=""
}
cleanup() {
  local rc=$?
  stop_proxy
  "$here/run-kafka.sh" stop "$state" || true
  if [[ $rc -eq 0 ]]; then
    rm -rf "$state"
  else
    captures_log "Kafka's log and config are kept in $state"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

captures_port_open "$BROOK_PROXY_PORT" && captures_die "port 127.0.0.1:$BROOK_PROXY_PORT is busy (set BROOK_PROXY_PORT)"
"$here/run-kafka.sh" start "$state"
bootstrap="127.0.0.1:$BROOK_PROXY_PORT"

# Runs one client's scenario behind a fresh proxy that records into its own folder.
failed=()
skipped=()
capture() {
  local client=$1
  shift
  local dir="$out_root/$client"
  captures_log "== $client"
  rm -f "$dir/client.json"
  python3 "$here/proxy.py" --listen "$BROOK_PROXY_PORT" --upstream "$BROOK_KAFKA_PORT" \
    --out "$dir" --client "$client" --clean --max-per-api "$max_per_api" \
    --max-seconds $((scenario_timeout + 60)) --ready-file "$state/proxy-$client.ready" \
    2>"$state/proxy-$client.log" &
  proxy_pid=$!
  local waited=0
  until [[ -f "$state/proxy-$client.ready" ]]; do
    if ! kill -0 "$proxy_pid" 2>/dev/null || ((waited >= 100)); then
      cat "$state/proxy-$client.log" >&2
      captures_die "the proxy did not start"
    fi
    sleep 0.1
    ((waited += 1))
  done
  local topic="brook-$client" group="brook-$client-group" rc=0
  timeout "$scenario_timeout" "$@" "$bootstrap" "$topic" "$group" >"$state/$client.log" 2>&1 || rc=$?
  sleep 0.5 # the last answers reach the proxy's files
  stop_proxy
  cat "$state/proxy-$client.log" >&2
  if [[ $rc -ne 0 ]]; then
    captures_log "$client failed (exit $rc); its output:"
    tail -n 30 "$state/$client.log" >&2
    failed+=("$client")
    return 0
  fi
  # What the client library is, for index.json.
  local version
  case $client in
    kcat) version=$(kcat -V 2>&1 | sed -n 's/^Version \([^ ]*\) .*librdkafka \([^ ]*\) .*/kcat \1, librdkafka \2/p') ;;
    confluent-kafka) version=$("$py" -c 'import confluent_kafka as c; print("confluent-kafka %s, librdkafka %s" % (c.__version__, c.libversion()[0]))') ;;
    kafka-python) version=$("$py" -c 'import kafka; print("kafka-python " + kafka.__version__)') ;;
    java) version="kafka-clients $BROOK_KAFKA_VERSION" ;;
    franz-go) version=$(cd "$here/franz" && sed -n 's/^\t\(github.com\/twmb\/franz-go\(\/pkg\/kadm\)\{0,1\}\) \(v[^ ]*\)$/\1 \3/p' go.mod | paste -sd, | sed 's/,/, /g') ;;
  esac
  printf '{"client": "%s", "library": "%s", "kafka": "%s", "captured": "%s"}\n' "$client" \
    "$version" "$BROOK_KAFKA_VERSION" "$(date -u +%Y-%m-%d)" >"$dir/client.json"
}

for client in "${clients[@]}"; do
  case $client in
    kcat) capture kcat "$here/clients/kcat_scenario.sh" ;;
    confluent-kafka) capture confluent-kafka "$py" "$here/clients/confluent_kafka_scenario.py" ;;
    kafka-python) capture kafka-python "$py" "$here/clients/kafka_python_scenario.py" ;;
    java)
      capture java java -Xmx256m "-Dlog4j2.configurationFile=file:$here/java/log4j2.properties" \
        -cp "$java_cp" CaptureScenario
      ;;
    franz-go)
      if [[ $franz_ok -eq 1 ]]; then capture franz-go "$franz_bin"; else skipped+=(franz-go); fi
      ;;
  esac
done

python3 "$here/summarize.py" "$out_root"
[[ ${#skipped[@]} -eq 0 ]] || captures_log "skipped (their captures were left as they were): ${skipped[*]}"
if [[ ${#failed[@]} -gt 0 ]]; then
  captures_log "failed: ${failed[*]}"
  exit 1
fi
captures_log "captures written to $out_root"
