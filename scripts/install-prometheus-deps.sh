#!/usr/bin/env bash
# Installs the Prometheus tools the monitoring tests drive: promtool + prometheus (package "prometheus")
# and the Pushgateway (package "prometheus-pushgateway"). Idempotent: does nothing when both are present.
# The Debian postinst would start a prometheus service on :9090 (and the pushgateway on :9091); the tests
# start their own instances on free loopback ports, so a policy-rc.d that refuses starts is put in place
# for the install and any service that started anyway is stopped.
set -euo pipefail

packages=(prometheus prometheus-pushgateway)
have_all() {
  command -v promtool >/dev/null && command -v prometheus >/dev/null && command -v prometheus-pushgateway >/dev/null
}

if have_all; then
  echo "install-deps: prometheus, promtool and prometheus-pushgateway already installed"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi

# apt-get update only when the package lists do not know the packages yet (fresh machine or image).
if ! apt-cache show "${packages[@]}" >/dev/null 2>&1; then
  $sudo apt-get update -q
fi

policy=/usr/sbin/policy-rc.d
created_policy=false
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\n# temporary: installed by scripts/install-prometheus-deps.sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
  $sudo chmod +x "$policy"
  created_policy=true
fi
cleanup() { if [ "$created_policy" = true ]; then $sudo rm -f "$policy"; fi; }
trap cleanup EXIT

install() { DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${packages[@]}"; }
# Package lists that know the names can still be too old to download from; refresh them once and retry.
if ! install; then
  $sudo apt-get update -q
  install
fi

# Belt and braces: where services are managed (systemd hosts), stop and disable the packaged units.
if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
  $sudo systemctl disable --now prometheus.service prometheus-pushgateway.service >/dev/null 2>&1 || true
elif command -v service >/dev/null; then
  $sudo service prometheus stop >/dev/null 2>&1 || true
  $sudo service prometheus-pushgateway stop >/dev/null 2>&1 || true
fi

have_all
promtool --version 2>&1 | head -n 1
