#!/usr/bin/env bash
# Installs what Brook needs to build and test on Debian 12. Idempotent: installs only what is
# missing, so a machine that has everything pays nothing.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config python3
  libasio-dev libssl-dev zlib1g-dev liblz4-dev libzstd-dev libsnappy-dev libfmt-dev libre2-dev
  libgtest-dev libbenchmark-dev librdkafka-dev libsasl2-dev libsasl2-modules-gssapi-mit
  libkrb5-dev
  clang-14 libclang-rt-14-dev clang-format-14
)
if [[ "${1:-}" == "--test" ]]; then
  # Real clients and the reference broker for the compatibility tests; python3-venv for the
  # virtual environment that holds kafka-python.
  # A Kerberos KDC (krb5-kdc, kadmin.local from krb5-admin-server, kinit from krb5-user) for
  # the GSSAPI tests; the openssl command makes the TLS tests' certificates and signed tokens.
  packages+=(kcat default-jdk-headless maven python3-venv curl openssl krb5-kdc krb5-admin-server
    krb5-user)
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

if [[ "${1:-}" == "--test" ]]; then
  sudo=""
  [[ $(id -u) -ne 0 ]] && sudo="sudo"
  # KafkaJS needs Node (Debian's is enough) and, for its lz4 codec's native part, node-gyp with
  # Node's headers (libnode-dev). Skipped where a Node is already installed.
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "install-deps: installing nodejs npm libnode-dev"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq nodejs npm libnode-dev >/dev/null
  fi
  # franz-go needs Go 1.26 (Debian 12's golang is 1.19): the toolchain comes from the Go module
  # proxy into /usr/local/go-<version>, linked as /usr/local/bin/go.
  go_want=1.26.8
  go_have=$(go env GOVERSION 2>/dev/null | sed 's/^go//' || true)
  if [[ -z "$go_have" || "$(printf '%s\n%s\n' "$go_want" "$go_have" | sort -V | head -n1)" != "$go_want" ]]; then
    echo "install-deps: installing Go $go_want from the Go module proxy"
    tmp=$(mktemp -d)
    curl -fsSL -o "$tmp/go.zip" \
      "https://proxy.golang.org/golang.org/toolchain/@v/v0.0.1-go$go_want.linux-amd64.zip"
    python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' \
      "$tmp/go.zip" "$tmp"
    $sudo rm -rf "/usr/local/go-$go_want"
    $sudo mv "$tmp/golang.org/toolchain@v0.0.1-go$go_want.linux-amd64" "/usr/local/go-$go_want"
    $sudo chmod -R a+rX "/usr/local/go-$go_want"
    $sudo chmod a+x "/usr/local/go-$go_want"/bin/* "/usr/local/go-$go_want"/pkg/tool/*/*
    $sudo ln -sf "/usr/local/go-$go_want/bin/go" /usr/local/bin/go
    rm -rf "$tmp"
  fi
fi
