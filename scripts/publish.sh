#!/usr/bin/env bash
# Publishes the tool (Release) into one folder, then starts the published binary once to prove it loads. The
# Dockerfile's build stage runs exactly this script, and .ci/run runs it too, so a publish that breaks fails CI
# although no container engine runs there.
#   scripts/publish.sh [OUTPUT_DIR]     (default: artifacts/publish)
# Environment:
#   SOURCE_REVISION  the commit, for --version
#   TARGETARCH       amd64|arm64: publish for that runtime (ReadyToRun); unset: portable IL only (`dotnet secret-rotator.dll`)
#   AOT=1            Native AOT: one native executable, `secret-rotator`, no .NET runtime needed (the image's build;
#                    needs clang + zlib1g-dev: scripts/install-aot-deps.sh; about 4-5 min on 2 cores). TARGETARCH
#                    defaults to this machine's. Start-up and CPU: docs/performance.md.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$root/artifacts/publish}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

if [ "${AOT:-0}" = "1" ]; then
  arch="${TARGETARCH:-$(uname -m)}"
  case "$arch" in amd64|x86_64|x64) rid=linux-x64 ;; arm64|aarch64) rid=linux-arm64 ;; *) echo "publish: unknown arch $arch" >&2; exit 1 ;; esac
  # The csproj lists every trim/AOT warning one by one (TrimmerSingleWarn=false) and lets them through; this script
  # then fails on any warning that scripts/aot-warnings.txt does not list (docs/aot-warnings.md accounts for those).
  log="$(mktemp)"
  trap 'rm -f "$log"' EXIT
  dotnet publish "$root/src/SecretRotator/SecretRotator.csproj" \
    --configuration Release --output "$out" --runtime "$rid" -p:PublishAot=true -p:StripSymbols=true -p:DebugType=none \
    ${SOURCE_REVISION:+-p:SourceRevisionId=$SOURCE_REVISION} 2>&1 | tee "$log"
  rm -f "$out"/*.dbg
  "$root/scripts/aot-warnings.sh" "$log" "$root/scripts/aot-warnings.txt"
  run=("$out/secret-rotator")
  files=(secret-rotator appsettings.json)
else
  dotnet publish "$root/src/SecretRotator/SecretRotator.csproj" \
    --configuration Release --output "$out" --no-self-contained -p:UseAppHost=false -p:DebugType=none \
    ${SOURCE_REVISION:+-p:SourceRevisionId=$SOURCE_REVISION} ${TARGETARCH:+--arch $TARGETARCH}
  run=(dotnet "$out/secret-rotator.dll")
  files=(secret-rotator.dll secret-rotator.runtimeconfig.json appsettings.json)
fi

# The image's ENTRYPOINT. A missing dependency or a broken startup fails here.
for f in "${files[@]}"; do
  [ -f "$out/$f" ] || { echo "publish: $out/$f missing" >&2; exit 1; }
done
"${run[@]}" --help >/dev/null
"${run[@]}" rbac --config "$root/examples/quickstart.yaml" >/dev/null 2>&1 \
  || [ ! -f "$root/examples/quickstart.yaml" ]   # the image build has no examples/; CI has
echo "publish: $out ($(du -sh "$out" | cut -f1))"
