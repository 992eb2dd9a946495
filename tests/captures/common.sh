# shellcheck shell=bash
# Shared settings for the capture scripts; sourced, never run.
#
# Everything here can be overridden from the environment, so a re-run can pin another Kafka
# release or move the ports off ones that are busy.

# The Apache Kafka release whose broker answers the captured requests (newest 4.x on Maven Central
# when the captures were made).
BROOK_KAFKA_VERSION=${BROOK_KAFKA_VERSION:-4.4.0}
# Where setup-kafka.sh puts the broker's jars (libs/) and where the Java client is built.
BROOK_KAFKA_HOME=${BROOK_KAFKA_HOME:-$HOME/.cache/brook/kafka-$BROOK_KAFKA_VERSION}
# Python clients live in their own virtual environment (Debian's python is externally managed).
BROOK_CAPTURE_VENV=${BROOK_CAPTURE_VENV:-$HOME/.cache/brook/captures-venv}

# Ports, all on 127.0.0.1. Clients only ever see the proxy: Kafka advertises the proxy's port, so
# Metadata and FindCoordinator answers send the clients back through it.
BROOK_PROXY_PORT=${BROOK_PROXY_PORT:-19092}        # the recording proxy (advertised to clients)
BROOK_KAFKA_PORT=${BROOK_KAFKA_PORT:-19093}        # Kafka's client listener (behind the proxy)
BROOK_INTERNAL_PORT=${BROOK_INTERNAL_PORT:-19094}  # Kafka's inter-broker listener
BROOK_CONTROLLER_PORT=${BROOK_CONTROLLER_PORT:-19095}  # KRaft controller listener

# A fixed cluster id (22 characters of URL-safe base64 for 16 bytes) so that re-recorded
# Metadata and DescribeCluster answers differ only where the run itself differs.
BROOK_CLUSTER_ID=${BROOK_CLUSTER_ID:-YnJvb2stY2FwdHVyZXMtMQ}

# Pinned client releases, recorded beside the captures in tests/data/captures/index.json.
BROOK_PIP_PACKAGES=${BROOK_PIP_PACKAGES:-"kafka-python==3.0.12 confluent-kafka==2.16.1 python-snappy==0.7.3 lz4==4.4.5 zstandard==0.25.0"}

captures_log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
captures_die() { captures_log "error: $*"; exit 1; }

# Runs apt-get install for the named packages when we are root on a Debian-like system; otherwise
# says what is missing and fails.
captures_apt_install() {
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    captures_log "installing with apt-get: $*"
    if [[ -z ${_captures_apt_updated:-} ]]; then
      timeout 300 apt-get update -qq || captures_die "apt-get update failed"
      _captures_apt_updated=1
    fi
    DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -qq "$@" ||
      captures_die "apt-get install $* failed"
  else
    captures_die "missing: $* (install them, or run as root on Debian to have them installed)"
  fi
}

# True if something accepts TCP connections on 127.0.0.1:$1.
captures_port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}
