# Build: docker build -t secret-rotator .   (not exercised in CI: the CI machines have no container engine)
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY Directory.Build.props Directory.Packages.props global.json SecretRotator.sln appsettings.json ./
COPY src/ src/
ARG TARGETARCH
# Published for the target's runtime so that ReadyToRun precompiles the code (start-up: docs/performance.md).
RUN dotnet publish src/SecretRotator/SecretRotator.csproj -c Release -o /app --no-self-contained -a ${TARGETARCH:-amd64}

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app ./
# Non-root; the config is mounted at the default path.
USER 65532:65532
ENTRYPOINT ["dotnet", "/app/secret-rotator.dll"]
CMD ["run", "--config", "/etc/secret-rotator/config.yaml"]
