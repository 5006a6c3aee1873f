using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using SecretRotator.Configuration;
using SecretRotator.Kubernetes;
using SecretRotator.Registries;
using SecretRotator.Registries.Acr;
using SecretRotator.Rotation;
using SecretRotator.Tests.Fakes.Azure;
using SecretRotator.Tests.Fakes.Google;
using SecretRotator.Tests.TestSupport;

namespace SecretRotator.Tests.Acr;

/// <summary>
/// The real <c>run</c> command against the fake Kubernetes API, Entra, ACR and Google at once: the cloud
/// registries are configured and wired exactly as in production, only the environment and TLS trust differ.
/// </summary>
public sealed class CloudRegistriesRunTests : IAsyncLifetime
{
    private RotatorHarness _h = null!;
    private EntraFake _entra = null!;
    private AcrExchangeFake _acr = null!;
    private GoogleFake _google = null!;
    private readonly TestEnvironment _env = new();

    public async ValueTask InitializeAsync()
    {
        _h = await RotatorHarness.StartAsync("default", "team-a");
        _entra = await new EntraFake().StartAsync();
        _acr = await new AcrExchangeFake
        {
            Servers = ["myregistry.azurecr.io"],
            TenantId = _entra.TenantId,
            AcceptsAccessToken = t => _entra.IssuedTokens.Contains(t),
            RefreshTokenExpiry = _h.Time.GetUtcNow().AddHours(3),
        }.StartAsync();
        _google = await new GoogleFake().StartAsync();

        _env["AZURE_CLIENT_ID"] = _entra.ClientId;
        _env["AZURE_TENANT_ID"] = _entra.TenantId;
        _env["AZURE_FEDERATED_TOKEN_FILE"] = _h.WriteFile("azure-identity-token", _entra.FederatedToken);
        _env["AZURE_AUTHORITY_HOST"] = _entra.AuthorityHost.AbsoluteUri;
        _env["GOOGLE_APPLICATION_CREDENTIALS"] = _h.WriteFile("gcp-key.json", _google.KeyFileJson());
        _h.Configure = services =>
        {
            services.AddSingleton<IEnvironmentVariables>(_env);
            services.AddSingleton(new AzureCredentialFactory(_env) { Transport = TestCertificate.TrustingTransport() });
        };
    }

    public async ValueTask DisposeAsync()
    {
        await _google.DisposeAsync();
        await _acr.DisposeAsync();
        await _entra.DisposeAsync();
        await _h.DisposeAsync();
    }

    private string Config(string registries = "[acr, gar]", string refreshBefore = "1h") => _h.WriteConfig($$"""
        registries:
          - name: acr
            type: acr
            server: myregistry.azurecr.io
            auth: workload
            endpoint: {{_acr.Endpoint}}
          - name: gar
            type: gcr
            servers: [us-docker.pkg.dev, gcr.io]
        secrets:
          - name: regcred
            registries: {{registries}}
            namespaces:
              names: [default, team-a]
        settings:
          refreshBefore: {{refreshBefore}}
        """);

    [Fact]
    public async Task Run_AcrAndGcr_WritesBothIntoOneMergedSecretWithExactExpiries()
    {
        var now = _h.Time.GetUtcNow();

        var result = await _h.RunCliAsync("run", "--config", Config());

        Assert.True(result.ExitCode == 0, result.ToString());
        var refreshToken = Assert.Single(_acr.IssuedRefreshTokens);
        var googleToken = Assert.Single(_google.IssuedTokens);
        Assert.Equal(1, _entra.TokenRequests);
        foreach (var ns in new[] { "default", "team-a" })
        {
            var secret = _h.Secret(ns, "regcred");
            var auths = DockerConfigJson.TryParse(secret.Data[ManagedSecret.DataKey]);
            Assert.NotNull(auths);
            Assert.Equal(["gcr.io", "myregistry.azurecr.io", "us-docker.pkg.dev"], auths.Keys.Order(StringComparer.Ordinal));
            Assert.Equal(("00000000-0000-0000-0000-000000000000", refreshToken), (auths["myregistry.azurecr.io"].Username, auths["myregistry.azurecr.io"].Password));
            Assert.Equal(("oauth2accesstoken", googleToken), (auths["gcr.io"].Username, auths["gcr.io"].Password));
            Assert.Equal(("oauth2accesstoken", googleToken), (auths["us-docker.pkg.dev"].Username, auths["us-docker.pkg.dev"].Password));

            var sources = SecretSources.Parse(secret.GetAnnotation(ManagedSecret.SourcesAnnotation));
            Assert.NotNull(sources);
            Assert.Equal(now.AddHours(3), sources["acr"].ExpiresAt);
            Assert.Equal(now.AddHours(1), sources["gar"].ExpiresAt);
            Assert.Equal(SecretSources.FormatTime(now.AddHours(1)), secret.GetAnnotation(ManagedSecret.ExpiresAtAnnotation));
        }
        foreach (var secretValue in new[] { refreshToken, googleToken, _entra.IssuedTokens.Single(), _entra.FederatedToken })
            Assert.DoesNotContain(secretValue, result.All, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("acr", "30m", 2)]
    [InlineData("acr", "5m", 1)]
    [InlineData("gar", "30m", 2)]
    [InlineData("gar", "5m", 1)]
    public async Task Run_TenMinuteToken_RefreshedNextRunOnlyWhenInsideRefreshBefore(string registry, string refreshBefore, int expectedFetches)
    {
        _acr.RefreshTokenExpiry = _h.Time.GetUtcNow().AddMinutes(10);
        _google.ExpiresInSeconds = 600;
        var config = Config($"[{registry}]", refreshBefore);
        var first = await _h.RunCliAsync("run", "--config", config);
        Assert.True(first.ExitCode == 0, first.ToString());
        var firstPassword = Password(_h.Secret("default", "regcred"));

        var second = await _h.RunCliAsync("run", "--config", config);

        Assert.True(second.ExitCode == 0, second.ToString());
        var fetches = registry == "acr" ? _acr.IssuedRefreshTokens.Count : _google.IssuedTokens.Count;
        Assert.Equal(expectedFetches, fetches);
        Assert.Equal(expectedFetches == 2, firstPassword != Password(_h.Secret("default", "regcred")));
        Assert.Contains(expectedFetches == 2 ? "0 created, 2 updated" : "0 created, 0 updated, 2 unchanged", second.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_GcrImpersonationDenied_Exits1NamingIamMessageAndKeepsAcr()
    {
        const string target = "ci-puller@other-project.iam.gserviceaccount.com";
        _google.DeniedTargets.Add(target);
        var config = _h.WriteConfig($$"""
            registries:
              - name: acr
                type: acr
                server: myregistry.azurecr.io
                auth: workload
                endpoint: {{_acr.Endpoint}}
              - name: gar
                type: gcr
                servers: [us-docker.pkg.dev]
                impersonate: {{target}}
                iamEndpoint: {{_google.BaseAddress}}
            secrets:
              - name: regcred
                registries: [acr, gar]
                namespaces:
                  names: [default]
            """);

        var result = await _h.RunCliAsync("run", "--config", config);

        Assert.Equal(1, result.ExitCode);
        var line = Assert.Single(result.Stdout.Split('\n'), l => l.StartsWith("registry gar: FAILED", StringComparison.Ordinal));
        Assert.Contains("(forbidden)", line, StringComparison.Ordinal);
        Assert.Contains($"generateAccessToken for {target}", line, StringComparison.Ordinal);
        Assert.Contains("HTTP 403 PERMISSION_DENIED: Permission 'iam.serviceAccounts.getAccessToken' denied", line, StringComparison.Ordinal);
        Assert.Contains("myregistry.azurecr.io", DockerConfigJson.TryParse(_h.Secret("default", "regcred").Data[ManagedSecret.DataKey])!.Keys);
        foreach (var secretValue in _google.IssuedTokens.Append(_acr.IssuedRefreshTokens.Single()))
            Assert.DoesNotContain(secretValue, result.All, StringComparison.Ordinal);
        Assert.DoesNotContain("PRIVATE KEY", result.All, StringComparison.Ordinal);
    }

    private static string Password(V1Secret secret) =>
        DockerConfigJson.TryParse(secret.Data[ManagedSecret.DataKey])!.Values.First().Password;
}
