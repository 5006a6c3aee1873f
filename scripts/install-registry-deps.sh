#!/usr/bin/env bash
# Installs what the real-registry end-to-end tests need (tests/SecretRotator.Tests/EndToEnd):
#   docker-registry (CNCF distribution, /usr/bin/docker-registry), apache2-utils (htpasswd), skopeo.
# Idempotent: does nothing when all binaries are present; runs apt-get update only when a package is missing.
# Services are kept from starting (the tests start their own registry on a free loopback port).
set -euo pipefail

packages=(docker-registry apache2-utils skopeo)
binaries=(docker-registry htpasswd skopeo)

missing=0
for b in "${binaries[@]}"; do
  command -v "$b" >/dev/null 2>&1 || missing=1
done
if [ "$missing" -eq 0 ]; then
  echo "install-registry-deps: docker-registry, htpasswd and skopeo already installed"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi

# policy-rc.d exit 101 = "action forbidden": the docker-registry postinst must not start a service on :5000.
created_policy=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
  $sudo chmod +x /usr/sbin/policy-rc.d
  created_policy=1
fi
cleanup() { if [ "$created_policy" -eq 1 ]; then $sudo rm -f /usr/sbin/policy-rc.d; fi; }
trap cleanup EXIT

export DEBIAN_FRONTEND=noninteractive
if ! apt-cache show "${packages[@]}" >/dev/null 2>&1; then
  $sudo apt-get update -qq
fi
# Lists present but stale (a package version gone from the mirror): refresh once and retry.
if ! $sudo apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null; then
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
fi

# Belt and braces for machines that run systemd: the packaged unit must not hold :5000.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet docker-registry 2>/dev/null; then
  $sudo systemctl disable --now docker-registry >/dev/null 2>&1 || true
fi

for b in "${binaries[@]}"; do
  command -v "$b" >/dev/null 2>&1 || { echo "install-registry-deps: $b still missing after install" >&2; exit 1; }
done
echo "install-registry-deps: installed ${packages[*]}"
