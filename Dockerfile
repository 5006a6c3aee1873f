# Build: docker build -t secret-rotator .
# The publish step is scripts/publish.sh, which .ci/run also runs (CI has no container engine, so that is how a
# broken publish fails CI). The binary is Native AOT (start-up and CPU: docs/performance.md), so the runtime image is
# the chiseled runtime-deps one: no .NET runtime, no shell, no package manager, non-root.
FROM mcr.microsoft.com/dotnet/sdk:10.0-noble AS build
# Native AOT links with clang and needs zlib's headers.
RUN apt-get update && apt-get install -y --no-install-recommends clang zlib1g-dev && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Restore first, from the project files only, so a source change does not re-download packages.
COPY global.json Directory.Build.props Directory.Packages.props appsettings.json ./
COPY src/SecretRotator/SecretRotator.csproj src/SecretRotator/
RUN dotnet restore src/SecretRotator/SecretRotator.csproj
COPY src/ src/
COPY scripts/publish.sh scripts/aot-warnings.sh scripts/aot-warnings.txt scripts/
# No .git in the build context: pass the commit for `secret-rotator --version`
# (docker build --build-arg SOURCE_REVISION=$(git rev-parse HEAD) .); without it the version says "commit unknown".
# TARGETARCH (set by BuildKit when declared without a value) picks the runtime the native binary is compiled for;
# without it publish.sh uses the build machine's. Build arguments reach the script as environment variables.
ARG SOURCE_REVISION=
ARG TARGETARCH
RUN AOT=1 scripts/publish.sh /app

FROM mcr.microsoft.com/dotnet/runtime-deps:10.0-noble-chiseled
WORKDIR /app
COPY --from=build /app ./
# 65532 ("nonroot" in distroless images); the Helm chart runs the pod with the same uid and a read-only root.
USER 65532:65532
ENV DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=true \
    SECRET_ROTATOR_LOG_FORMAT=json
# The config is mounted at the default path /etc/secret-rotator/config.yaml.
ENTRYPOINT ["/app/secret-rotator"]
CMD ["run"]
