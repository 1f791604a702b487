#!/usr/bin/env bash
# Builds the test cluster's binaries (etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler, kwok, and kubectl of the same release) from the Go module proxy, once per cache key.
#
# The cache lives outside the repository and is keyed by the component versions,
# the Go version, and a hash of this script and the wrapper modules, so any change
# to how we build produces a fresh directory. Builds go to a temporary directory
# that is renamed into place only when complete.
#
# Usage: build.sh            build if missing, print the bin directory
#        build.sh --print    print the bin directory (built or not), build nothing
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.sh
source "$here/versions.sh"

export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=mod
command -v go >/dev/null || { echo "build.sh: go is not installed (need Go ${GO_MIN}+)" >&2; exit 1; }
go_version=$(go env GOVERSION)

key_input=$(
  echo "$K8S_VERSION $ETCD_VERSION $KWOK_VERSION $go_version"
  cat "$here/build.sh" "$here/versions.sh" "$here"/gomod/*/go.mod "$here"/gomod/*/go.sum
)
key=$(printf '%s' "$key_input" | sha256sum | cut -c1-16)
cache_root=${COXSWAIN_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/coxswain}
bin_dir="$cache_root/cluster-bin/k8s-$K8S_VERSION-etcd-$ETCD_VERSION-kwok-$KWOK_VERSION-$go_version-$key"

if [[ "${1:-}" == "--print" ]]; then echo "$bin_dir"; exit 0; fi
if [[ -x "$bin_dir/kube-apiserver" && -f "$bin_dir/.complete" ]]; then echo "$bin_dir"; exit 0; fi

log() { echo "[build $(date +%H:%M:%S)] $*" >&2; }
mkdir -p "$cache_root/cluster-bin"
tmp=$(mktemp -d "$cache_root/cluster-bin/.tmp-XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# Prefetch first, so a registry failure is reported as such rather than as a compile error.
for m in k8s etcd kwok; do
  log "downloading modules for $m"
  if ! (cd "$here/gomod/$m" && go mod download 2>"$tmp/download-$m.log"); then
    tail -20 "$tmp/download-$m.log" >&2
    echo "build.sh: could not download the Go modules for $m (is the Go module proxy reachable?)" >&2
    exit 2
  fi
done

vpkg() { # -X flags that make /version report the real release instead of v0.0.0-master
  local v=$K8S_VERSION major=${K8S_VERSION%%.*} minor
  minor=${K8S_VERSION#*.}; minor=${minor%%.*}
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    printf -- '-X %s.gitVersion=v%s -X %s.gitMajor=%s -X %s.gitMinor=%s -X %s.gitTreeState=clean ' \
      "$p" "$v" "$p" "$major" "$p" "$minor" "$p"
  done
}

build() { # module, output (a file, or a directory ending in /), packages...
  local m=$1 out=$2; shift 2
  log "compiling $*"
  (cd "$here/gomod/$m" && go build -trimpath -ldflags "-s -w $(vpkg)" -o "$out" "$@") || {
    echo "build.sh: compiling $* failed (see above)" >&2; exit 3; }
}

start=$(date +%s)
build etcd "$tmp/etcd" go.etcd.io/etcd/server/v3
build kwok "$tmp/" sigs.k8s.io/kwok/cmd/kwok
build k8s "$tmp/" k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl
echo "built in $(( $(date +%s) - start ))s with $go_version" > "$tmp/.complete"
rm -f "$tmp"/download-*.log
chmod 755 "$tmp"

rm -rf "$bin_dir"
mv "$tmp" "$bin_dir"
trap - EXIT
log "binaries in $bin_dir ($(cat "$bin_dir/.complete"))"
echo "$bin_dir"
