#!/usr/bin/env bash
# Installs every Debian package the end-to-end tests drive (idempotent; each part skips what is present):
# prometheus + promtool + prometheus-pushgateway, and the registry tools docker-registry + htpasswd + skopeo.
set -euo pipefail
here="$(dirname "$0")"
"$here/install-prometheus-deps.sh"
"$here/install-registry-deps.sh"
