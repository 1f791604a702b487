#!/usr/bin/env bash
# Builds the manifest tools the deploy/ and chart tests use, from the Go module proxy, once per
# version: kustomize (renders deploy/ exactly as `kubectl apply -k` does), kube-score (a
# third-party check of the rendered manifests) and helm (lints and renders charts/coxswain). Like the cluster
# binaries (../cluster/build.sh) they live outside the repository, in
# ~/.cache/coxswain/tools/<tool>-<version>/, built into a temporary directory that is
# renamed into place only when complete.
#
# Usage: build-tools.sh            build what is missing, print "name path" per tool
#        build-tools.sh --print    print the paths, build nothing
set -euo pipefail

# kustomize v5.8.3 needs Go 1.27; v5.8.2 (kustomize/api v0.21.2) builds with Go 1.26.
readonly KUSTOMIZE_VERSION=v5.8.2
readonly KUBE_SCORE_VERSION=v1.20.0
readonly HELM_VERSION=v4.3.2

export GOTOOLCHAIN=local CGO_ENABLED=0
command -v go >/dev/null || { echo "build-tools.sh: go is not installed" >&2; exit 1; }
cache_root=${COXSWAIN_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/coxswain}

tool_dir() { echo "$cache_root/tools/$1-$2"; }

build_tool() { # name version package [extra -ldflags]
  local name=$1 version=$2 package=$3 ldflags="-s -w ${4:-}" dir tmp
  dir=$(tool_dir "$name" "$version")
  if [[ -x "$dir/$name" && -f "$dir/.complete" ]]; then return 0; fi
  mkdir -p "$cache_root/tools"
  tmp=$(mktemp -d "$cache_root/tools/.tmp-$name-XXXXXX")
  echo "[build-tools $(date +%H:%M:%S)] go install $package@$version" >&2
  if ! GOBIN="$tmp" go install -trimpath -ldflags "$ldflags" "$package@$version" >"$tmp/build.log" 2>&1; then
    tail -20 "$tmp/build.log" >&2
    rm -rf "$tmp"
    echo "build-tools.sh: could not build $package@$version with $(go env GOVERSION)" >&2
    exit 2
  fi
  rm -f "$tmp/build.log"
  echo "$package@$version built with $(go env GOVERSION)" >"$tmp/.complete"
  chmod 755 "$tmp"
  # Test files may build at the same time: the first rename wins, the others drop theirs.
  [[ -f "$dir/.complete" ]] || rm -rf "$dir"
  mv -T "$tmp" "$dir" 2>/dev/null || rm -rf "$tmp"
  [[ -x "$dir/$name" ]] || { echo "build-tools.sh: $dir/$name is missing after the build" >&2; exit 3; }
}

if [[ "${1:-}" != "--print" ]]; then
  build_tool kustomize "$KUSTOMIZE_VERSION" sigs.k8s.io/kustomize/kustomize/v5
  build_tool kube-score "$KUBE_SCORE_VERSION" github.com/zegl/kube-score/cmd/kube-score
  # `helm version` reports the release (the module alone says only "v4.3").
  build_tool helm "$HELM_VERSION" helm.sh/helm/v4/cmd/helm "-X helm.sh/helm/v4/internal/version.version=$HELM_VERSION"
fi
echo "kustomize $(tool_dir kustomize "$KUSTOMIZE_VERSION")/kustomize"
echo "kube-score $(tool_dir kube-score "$KUBE_SCORE_VERSION")/kube-score"
echo "helm $(tool_dir helm "$HELM_VERSION")/helm"
