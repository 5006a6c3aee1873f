using Azure.Core;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using SecretRotator.Registries.Acr;

namespace SecretRotator.Tests.Acr;

public sealed class EntraTokenCacheTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Hand-written credential: issues numbered tokens expiring a fixed time after the fake clock's now.</summary>
    private sealed class CountingCredential(TimeProvider time, TimeSpan lifetime) : TokenCredential
    {
        private int _issued;
        public int Issued => _issued;
        public List<string[]> Scopes { get; } = [];

        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            throw new NotSupportedException("the cache must use the async path");

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken)
        {
            Scopes.Add(requestContext.Scopes);
            return ValueTask.FromResult(new AccessToken($"token-{Interlocked.Increment(ref _issued)}", time.GetUtcNow() + lifetime));
        }
    }

    private static (EntraTokenCache Cache, FakeTimeProvider Time, CountingCredential Credential, AzureSignIn SignIn) Create()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 26, 17, 0, 0, TimeSpan.Zero));
        var credential = new CountingCredential(time, TimeSpan.FromHours(1));
        return (new EntraTokenCache(time, new FakeLogger<EntraTokenCache>()), time, credential, new AzureSignIn("key", "test identity", "tenant", credential));
    }

    [Fact]
    public async Task GetTokenAsync_WithinLifetimeMinusMargin_ReusesToken()
    {
        var (cache, time, credential, signIn) = Create();
        var first = await cache.GetTokenAsync(signIn, "scope/.default", "a", Ct);
        time.Advance(TimeSpan.FromMinutes(54));

        var second = await cache.GetTokenAsync(signIn, "scope/.default", "b", Ct);

        Assert.Equal(first.Token, second.Token);
        Assert.Equal(1, credential.Issued);
    }

    [Fact]
    public async Task GetTokenAsync_InsideReuseMargin_RequestsNewToken()
    {
        var (cache, time, credential, signIn) = Create();
        var first = await cache.GetTokenAsync(signIn, "scope/.default", "a", Ct);
        time.Advance(TimeSpan.FromHours(1) - EntraTokenCache.ReuseMargin);

        var second = await cache.GetTokenAsync(signIn, "scope/.default", "a", Ct);

        Assert.NotEqual(first.Token, second.Token);
        Assert.Equal(2, credential.Issued);
    }

    [Fact]
    public async Task GetTokenAsync_DifferentScope_RequestsSeparateToken()
    {
        var (cache, _, credential, signIn) = Create();

        await cache.GetTokenAsync(signIn, "one/.default", "a", Ct);
        await cache.GetTokenAsync(signIn, "two/.default", "a", Ct);

        Assert.Equal(2, credential.Issued);
        Assert.Equal([["one/.default"], ["two/.default"]], credential.Scopes);
    }

    [Fact]
    public async Task GetTokenAsync_ConcurrentCallers_ShareOneRequest()
    {
        var (cache, _, credential, signIn) = Create();

        var tokens = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => cache.GetTokenAsync(signIn, "scope/.default", $"r{i}", Ct)));

        Assert.Equal(1, credential.Issued);
        Assert.Single(tokens.Select(t => t.Token).Distinct());
    }

    [Fact]
    public void ProviderReason_AadstsInInnerException_ReturnsInnerMessageOnOneLine()
    {
        var inner = new InvalidOperationException("AADSTS700213: No matching federated identity record found.\r\nTrace ID: 1");
        var outer = new Azure.Identity.AuthenticationFailedException("WorkloadIdentityCredential authentication failed. See the troubleshooting guide.", inner);

        var reason = EntraTokenCache.ProviderReason(outer);

        Assert.Equal("AADSTS700213: No matching federated identity record found. Trace ID: 1", reason);
    }
}
