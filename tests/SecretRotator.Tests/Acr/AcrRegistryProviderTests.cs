using System.Diagnostics;
using SecretRotator.Configuration;
using SecretRotator.Registries;
using SecretRotator.Registries.Acr;

namespace SecretRotator.Tests.Acr;

public sealed class AcrRegistryProviderTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task GetCredentialAsync_WorkloadIdentity_ReturnsRefreshTokenWithItsJwtExpiry()
    {
        await using var rig = await AcrTestRig.StartAsync();
        var exp = DateTimeOffset.FromUnixTimeSeconds(rig.Time.GetUtcNow().AddMinutes(10).ToUnixTimeSeconds());
        rig.Acr.RefreshTokenExpiry = exp;

        var credential = await rig.Provider.GetCredentialAsync(rig.Registry("acr"), Ct);

        var entry = Assert.Single(credential.Entries);
        Assert.Equal("myregistry.azurecr.io", entry.Server);
        Assert.Equal("00000000-0000-0000-0000-000000000000", entry.Username);
        Assert.Equal(Assert.Single(rig.Acr.IssuedRefreshTokens), entry.Password);
        Assert.Equal(exp, credential.ExpiresAt);
        var exchange = Assert.Single(rig.Acr.Exchanges);
        Assert.Equal("access_token", exchange["grant_type"]);
        Assert.Equal("myregistry.azurecr.io", exchange["service"]);
        Assert.Equal(rig.Entra.TenantId, exchange["tenant"]);
        Assert.Equal(Assert.Single(rig.Entra.IssuedTokens), exchange["access_token"]);
        Assert.Empty(rig.Entra.UnexpectedRequests);
    }

    [Fact]
    public async Task GetCredentialAsync_TwoRegistriesSameIdentity_ShareOneEntraToken()
    {
        await using var rig = await AcrTestRig.StartAsync("one.azurecr.io", "two.azurecr.io");

        var first = await rig.Provider.GetCredentialAsync(rig.Registry("one", "one.azurecr.io"), Ct);
        var second = await rig.Provider.GetCredentialAsync(rig.Registry("two", "two.azurecr.io"), Ct);

        Assert.Equal(1, rig.Entra.TokenRequests);
        Assert.Equal(2, rig.Acr.Exchanges.Count);
        Assert.Equal(["one.azurecr.io", "two.azurecr.io"], rig.Acr.Exchanges.Select(e => e["service"]));
        Assert.NotEqual(first.Entries[0].Password, second.Entries[0].Password);
    }

    [Fact]
    public async Task SignIn_LoopbackAuthorityHost_DoesNotWaitOnInstanceDiscovery()
    {
        await using var rig = await AcrTestRig.StartAsync();
        var options = (AcrRegistryOptions)rig.Registry("acr").Options;
        // The first sign-in in a process pays for JIT and TLS set-up (seconds on a loaded machine); it is
        // bounded loosely, which still catches a wait on instance discovery (about 20 s without the fix).
        var warmUp = Stopwatch.StartNew();
        await SignInWithNewCredentialAsync(rig, options);
        Assert.True(warmUp.Elapsed < TimeSpan.FromSeconds(10), $"first sign-in took {warmUp.Elapsed}");

        var stopwatch = Stopwatch.StartNew();
        var token = await SignInWithNewCredentialAsync(rig, options);
        stopwatch.Stop();
        TestContext.Current.TestOutputHelper?.WriteLine($"first sign-in {warmUp.Elapsed.TotalMilliseconds:F0} ms, second {stopwatch.Elapsed.TotalMilliseconds:F0} ms");

        Assert.False(AzureCredentialFactory.IsKnownCloud(rig.Entra.AuthorityHost));
        Assert.Equal(2, rig.Entra.TokenRequests);
        Assert.Equal(rig.Entra.IssuedTokens.Last(), token);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(10), $"sign-in took {stopwatch.Elapsed}");
    }

    /// <summary>A new factory and cache each time: a new credential (and MSAL client) that must really sign in.</summary>
    private static async Task<string> SignInWithNewCredentialAsync(AcrTestRig rig, AcrRegistryOptions options)
    {
        var factory = new AzureCredentialFactory(rig.Environment) { Transport = Fakes.Azure.TestCertificate.TrustingTransport() };
        var cache = new EntraTokenCache(rig.Time, new Microsoft.Extensions.Logging.Testing.FakeLogger<EntraTokenCache>());
        return (await cache.GetTokenAsync(factory.Resolve("acr", options), AcrRegistryOptions.DefaultScope, "acr", Ct)).Token;
    }

    [Fact]
    public async Task GetCredentialAsync_FederatedTokenNotTrusted_FailsWithAadstsCodeAndNoSecret()
    {
        await using var rig = await AcrTestRig.StartAsync();
        await File.WriteAllTextAsync(rig.TokenFile, "some-other-service-account-token", Ct);

        var ex = await Assert.ThrowsAsync<RegistryException>(() => rig.Provider.GetCredentialAsync(rig.Registry("acr"), Ct));

        Assert.Equal("auth_failed", ex.Reason);
        Assert.Contains("AADSTS700213", ex.Message, StringComparison.Ordinal);
        Assert.StartsWith("Microsoft Entra sign-in via", ex.Message, StringComparison.Ordinal); // callers add "registry acr: " once
        Assert.DoesNotContain("some-other-service-account-token", ex.Message, StringComparison.Ordinal);
        Assert.Empty(rig.Acr.Exchanges);
    }

    [Fact]
    public async Task GetCredentialAsync_ClientSecretMode_SignsInWithSecretFromEnvironment()
    {
        await using var rig = await AcrTestRig.StartAsync();
        rig.Environment["AZURE_CLIENT_SECRET"] = rig.Entra.ClientSecret;

        var credential = await rig.Provider.GetCredentialAsync(rig.Registry("acr", auth: "secret"), Ct);

        Assert.Equal(Assert.Single(rig.Acr.IssuedRefreshTokens), credential.Entries[0].Password);
    }

    [Fact]
    public async Task GetCredentialAsync_WorkloadVariablesMissing_FailsNamingThem()
    {
        await using var rig = await AcrTestRig.StartAsync();
        rig.Environment["AZURE_FEDERATED_TOKEN_FILE"] = null;
        rig.Environment["AZURE_TENANT_ID"] = null;

        var ex = await Assert.ThrowsAsync<RegistryException>(() => rig.Provider.GetCredentialAsync(rig.Registry("acr"), Ct));

        Assert.Equal("auth_unavailable", ex.Reason);
        Assert.Contains("AZURE_TENANT_ID, AZURE_FEDERATED_TOKEN_FILE", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, rig.Entra.TokenRequests);
    }

    [Fact]
    public async Task GetCredentialAsync_ExchangeRejectsToken_FailsWithStatusAndBodyButRedactsToken()
    {
        await using var rig = await AcrTestRig.StartAsync();
        var rejecting = new Fakes.Azure.AcrExchangeFake
        {
            Servers = ["myregistry.azurecr.io"],
            TenantId = rig.Entra.TenantId,
            AcceptsAccessToken = _ => false,
        };
        await using var _ = await rejecting.StartAsync();
        var registry = rig.Registry("acr").WithEndpoint(rejecting.Endpoint);

        var ex = await Assert.ThrowsAsync<RegistryException>(() => rig.Provider.GetCredentialAsync(registry, Ct));

        Assert.Equal("exchange_failed", ex.Reason);
        Assert.Contains("HTTP 401", ex.Message, StringComparison.Ordinal);
        Assert.Contains("UNAUTHORIZED", ex.Message, StringComparison.Ordinal);
        Assert.Contains("[redacted]", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Assert.Single(rig.Entra.IssuedTokens), ex.Message, StringComparison.Ordinal);
        Assert.Equal(1, rejecting.Requests);
    }

    [Fact]
    public async Task GetCredentialAsync_ExchangeFailsTransientlyTwice_RetriesAndSucceeds()
    {
        await using var rig = await AcrTestRig.StartAsync();
        rig.Acr.TransientFailures = 2;

        var credential = await rig.Provider.GetCredentialAsync(rig.Registry("acr"), Ct);

        Assert.Equal(3, rig.Acr.Requests);
        Assert.Equal(Assert.Single(rig.Acr.IssuedRefreshTokens), credential.Entries[0].Password);
    }

    [Fact]
    public async Task GetCredentialAsync_ExchangeKeepsFailing_GivesUpAfterBoundedAttempts()
    {
        await using var rig = await AcrTestRig.StartAsync();
        rig.Acr.TransientFailures = 100;

        var ex = await Assert.ThrowsAsync<RegistryException>(() => rig.Provider.GetCredentialAsync(rig.Registry("acr"), Ct));

        Assert.Equal("exchange_failed", ex.Reason);
        Assert.Contains("HTTP 503", ex.Message, StringComparison.Ordinal);
        Assert.Equal(AcrTokenExchange.MaxAttempts, rig.Acr.Requests);
    }

    [Fact]
    public async Task GetCredentialAsync_RefreshTokenWithoutExp_FailsInsteadOfGuessingExpiry()
    {
        await using var rig = await AcrTestRig.StartAsync();
        rig.Acr.RefreshTokenOverride = () => Fakes.Azure.TestJwt.Create(new Dictionary<string, object> { ["sub"] = "x" });

        var ex = await Assert.ThrowsAsync<RegistryException>(() => rig.Provider.GetCredentialAsync(rig.Registry("acr"), Ct));

        Assert.Equal("invalid_token", ex.Reason);
        Assert.Contains("exp", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetCredentialAsync_Success_LogsNoTokenOrAssertion()
    {
        await using var rig = await AcrTestRig.StartAsync();
        rig.Acr.TransientFailures = 1;

        var credential = await rig.Provider.GetCredentialAsync(rig.Registry("acr"), Ct);

        var records = rig.Logs.GetSnapshot();
        Assert.Contains(records, r => r.Id.Id == 2120);
        Assert.Contains(records, r => r.Id.Id == 2110);
        var secrets = new[] { credential.Entries[0].Password, Assert.Single(rig.Entra.IssuedTokens), rig.Entra.FederatedToken };
        foreach (var record in records)
        {
            var text = record.Message + " " + string.Join(" ", record.StructuredState?.Select(s => s.Value) ?? []);
            foreach (var secret in secrets)
                Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
        }
    }
}

internal static class RegistryDefinitionExtensions
{
    public static RegistryDefinition WithEndpoint(this RegistryDefinition registry, Uri endpoint) =>
        registry with { Options = (AcrRegistryOptions)registry.Options with { Endpoint = endpoint } };
}
