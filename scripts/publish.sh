#!/usr/bin/env bash
# Publishes the tool (Release, framework-dependent on the ASP.NET Core runtime: the app serves /metrics with Kestrel)
# into one folder, then starts the published binary once to prove it loads. The Dockerfile's build stage runs exactly
# this script, and .ci/run runs it too, so a publish that breaks fails CI although no container engine runs there.
#   scripts/publish.sh [OUTPUT_DIR]     (default: artifacts/publish)
# Environment: SOURCE_REVISION (the commit, for --version), TARGETARCH (amd64|arm64: publish for that runtime,
# which turns on ReadyToRun; unset: portable IL only).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$root/artifacts/publish}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

dotnet publish "$root/src/SecretRotator/SecretRotator.csproj" \
  --configuration Release --output "$out" --no-self-contained -p:UseAppHost=false -p:DebugType=none \
  ${SOURCE_REVISION:+-p:SourceRevisionId=$SOURCE_REVISION} ${TARGETARCH:+--arch $TARGETARCH}

# The image's ENTRYPOINT: `dotnet /app/secret-rotator.dll`. A missing dependency or a broken startup fails here.
for f in secret-rotator.dll secret-rotator.runtimeconfig.json appsettings.json; do
  [ -f "$out/$f" ] || { echo "publish: $out/$f missing" >&2; exit 1; }
done
dotnet "$out/secret-rotator.dll" --help >/dev/null
dotnet "$out/secret-rotator.dll" rbac --config "$root/examples/quickstart.yaml" >/dev/null 2>&1 \
  || [ ! -f "$root/examples/quickstart.yaml" ]   # the image build has no examples/; CI has
echo "publish: $out ($(du -sh "$out" | cut -f1))"
