#!/usr/bin/env bash
# Installs mmdebstrap, which the image-runtime test (tests/SecretRotator.Tests/Image) uses to extract the runtime
# packages of the chiseled runtime-deps image into a root that it runs the Native AOT binary in with chroot.
# Idempotent: does nothing when it is present.
set -euo pipefail
if command -v mmdebstrap >/dev/null 2>&1; then
  echo "install-image-deps: mmdebstrap already installed"
  exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
install() { $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends mmdebstrap >/dev/null; }
# Package lists that do not know it yet (fresh machine) or are too old to download from: refresh once and retry.
if ! install; then
  $sudo apt-get update -qq
  install
fi
echo "install-image-deps: installed mmdebstrap"
