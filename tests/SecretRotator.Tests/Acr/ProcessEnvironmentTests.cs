using System.Diagnostics;
using SecretRotator.Configuration;
using SecretRotator.Registries;
using SecretRotator.Registries.Acr;

namespace SecretRotator.Tests.Acr;

/// <summary>Tests that must set real process environment variables; run alone, never beside other tests.</summary>
[CollectionDefinition(nameof(ProcessEnvironmentGroup), DisableParallelization = true)]
public sealed class ProcessEnvironmentGroup;

/// <summary>
/// DefaultAzureCredential reads the AZURE_* variables itself (not through IEnvironmentVariables), so the
/// default chain can only be shown working with the process environment set, and restored afterwards.
/// </summary>
[Collection(nameof(ProcessEnvironmentGroup))]
public sealed class ProcessEnvironmentTests : IDisposable
{
    private static readonly string[] Variables =
        ["AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_FEDERATED_TOKEN_FILE", "AZURE_AUTHORITY_HOST", "AZURE_CLIENT_SECRET", "AZURE_USERNAME",
         "IDENTITY_ENDPOINT", "IDENTITY_HEADER", "MSI_ENDPOINT", "MSI_SECRET", "IDENTITY_SERVER_THUMBPRINT", "IMDS_ENDPOINT"];

    private readonly Dictionary<string, string?> _saved = Variables.ToDictionary(v => v, Environment.GetEnvironmentVariable);

    public void Dispose()
    {
        foreach (var (name, value) in _saved) Environment.SetEnvironmentVariable(name, value);
    }

    [Fact]
    public async Task GetCredentialAsync_DefaultChainOnAksWorkloadIdentity_SignsInQuicklyAndExchanges()
    {
        await using var rig = await AcrTestRig.StartAsync();
        foreach (var name in Variables) Environment.SetEnvironmentVariable(name, rig.Environment.Get(name));
        var registry = rig.Registry("acr", auth: "default");
        // First fetch in the process pays for JIT and TLS set-up; a wait on instance discovery would be ~20 s.
        var warmUp = Stopwatch.StartNew();
        await NewProvider(rig).GetCredentialAsync(registry, TestContext.Current.CancellationToken);
        Assert.True(warmUp.Elapsed < TimeSpan.FromSeconds(10), $"first fetch took {warmUp.Elapsed}");

        var stopwatch = Stopwatch.StartNew();
        var credential = await NewProvider(rig).GetCredentialAsync(registry, TestContext.Current.CancellationToken);
        stopwatch.Stop();

        Assert.Equal(rig.Acr.IssuedRefreshTokens.Last(), credential.Entries[0].Password);
        Assert.Equal(2, rig.Entra.TokenRequests);
        // The chain's workload identity credential got DisableInstanceDiscovery too: no wait on the public cloud.
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(10), $"sign-in and exchange took {stopwatch.Elapsed}");
    }

    /// <summary>A provider with its own credential and token cache, so each fetch really signs in.</summary>
    private static AcrRegistryProvider NewProvider(AcrTestRig rig)
    {
        var credentials = new AzureCredentialFactory(new ProcessEnvironmentVariables()) { Transport = Fakes.Azure.TestCertificate.TrustingTransport() };
        var cache = new EntraTokenCache(rig.Time, new Microsoft.Extensions.Logging.Testing.FakeLogger<EntraTokenCache>());
        return new AcrRegistryProvider(new Lazy<AzureCredentialFactory>(credentials), new Lazy<EntraTokenCache>(cache), rig.Exchange, new Microsoft.Extensions.Logging.Testing.FakeLogger<AcrRegistryProvider>());
    }

    [Fact]
    public async Task GetCredentialAsync_UserAssignedManagedIdentity_UsesTenantFromTokenForExchange()
    {
        await using var rig = await AcrTestRig.StartAsync();
        await using var identity = await new Fakes.Azure.ManagedIdentityFake { TenantId = rig.Entra.TenantId }.StartAsync();
        foreach (var name in Variables) Environment.SetEnvironmentVariable(name, null);
        Environment.SetEnvironmentVariable("IDENTITY_ENDPOINT", identity.Endpoint.AbsoluteUri);
        Environment.SetEnvironmentVariable("IDENTITY_HEADER", identity.IdentityHeader);
        var acr = await new Fakes.Azure.AcrExchangeFake
        {
            Servers = ["myregistry.azurecr.io"],
            TenantId = rig.Entra.TenantId,
            AcceptsAccessToken = t => identity.IssuedTokens.Contains(t),
        }.StartAsync();
        await using var _ = acr;
        var registry = rig.Registry("acr", auth: "managed", extra: $"clientId: {identity.ClientId}").WithEndpoint(acr.Endpoint);

        var credential = await NewProvider(rig).GetCredentialAsync(registry, TestContext.Current.CancellationToken);

        Assert.Empty(identity.Rejections);
        Assert.Equal(Assert.Single(acr.IssuedRefreshTokens), credential.Entries[0].Password);
        Assert.Equal(rig.Entra.TenantId, Assert.Single(acr.Exchanges)["tenant"]);
        Assert.Equal(0, rig.Entra.TokenRequests);
    }
}
