#!/usr/bin/env bash
# Installs what a Native AOT publish needs (scripts/publish.sh with AOT=1): the clang toolchain that links the
# native binary (Debian's clang 14; it brings binutils, whose ld the ILCompiler uses on Linux) and zlib's headers. Idempotent: does nothing when all are present.
set -euo pipefail
if command -v clang >/dev/null 2>&1 && [ -f /usr/include/zlib.h ]; then
  echo "install-aot-deps: clang and zlib1g-dev already installed"
  exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
$sudo apt-get update -qq
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends clang zlib1g-dev >/dev/null
echo "install-aot-deps: installed clang, zlib1g-dev"
