#!/usr/bin/env bash
# Installs what Brook needs to build and test on Debian 12. Idempotent: installs only what is
# missing, so a machine that has everything pays nothing.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config python3
  libasio-dev libssl-dev zlib1g-dev liblz4-dev libzstd-dev libsnappy-dev libfmt-dev
  libgtest-dev libbenchmark-dev librdkafka-dev
  clang-14 libclang-rt-14-dev clang-format-14
)
if [[ "${1:-}" == "--test" ]]; then
  # Real clients and the reference broker for the compatibility tests; python3-venv for the
  # virtual environment that holds kafka-python.
  packages+=(kcat default-jdk-headless maven python3-venv)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  sudo=""
  [[ $(id -u) -ne 0 ]] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
