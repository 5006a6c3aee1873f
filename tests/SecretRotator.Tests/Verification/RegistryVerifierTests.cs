using System.Net;
using System.Text;
using Microsoft.Extensions.Logging.Testing;
using SecretRotator.Kubernetes;
using SecretRotator.Registries;
using SecretRotator.Registries.Verification;
using SecretRotator.Tests.Fakes.Verification;
using SecretRotator.Tests.TestSupport;

namespace SecretRotator.Tests.Verification;

public sealed class RegistryVerifierTests
{
    private const string Password = "pw-Verif1er-S3cret";

    private sealed class OneClientFactory(HttpClient client) : IHttpClientFactory
    {
        public HttpClient CreateClient(string name) => client;
    }

    private static (RegistryVerifier Verifier, FakeLogger<RegistryVerifier> Logger) Verifier()
    {
        var logger = new FakeLogger<RegistryVerifier>();
        return (new RegistryVerifier(new OneClientFactory(new HttpClient { Timeout = TimeSpan.FromSeconds(10) }), logger), logger);
    }

    private static async Task<FakeRegistryServer> Registry(RegistryAuth auth)
    {
        var registry = await FakeRegistryServer.StartAsync(TestContext.Current.CancellationToken);
        registry.Auth = auth;
        registry.Users["bot"] = Password;
        return registry;
    }

    [Theory]
    [InlineData("ghcr.io", "https://ghcr.io/")]
    [InlineData("https://index.docker.io/v1/", "https://registry-1.docker.io/")]
    [InlineData("docker.io", "https://registry-1.docker.io/")]
    [InlineData("HTTPS://myregistry.azurecr.io", "https://myregistry.azurecr.io/")]
    [InlineData("us-docker.pkg.dev/my-project", "https://us-docker.pkg.dev/")]
    [InlineData("http://127.0.0.1:5000", "http://127.0.0.1:5000/")]
    [InlineData("registry.local:8443", "https://registry.local:8443/")]
    public void BaseUri_ServerKey_NormalisedToV2Base(string server, string expected)
    {
        Assert.Equal(new Uri(expected), RegistryEndpoint.BaseUri(server));
    }

    [Theory]
    [InlineData("")]
    [InlineData("https://")]
    [InlineData("bad host")]
    public void BaseUri_NotAHost_ThrowsVerifyFailed(string server)
    {
        var e = Assert.Throws<RegistryException>(() => RegistryEndpoint.BaseUri(server));
        Assert.Equal(RegistryVerifier.FailedReason, e.Reason);
    }

    [Fact]
    public void ParseParameters_QuotedValuesWithCommasAndEscapes_Parsed()
    {
        var p = AuthChallenge.ParseParameters("realm=\"https://auth.example/token?a=1,b=2\", service=\"reg \\\"x\\\"\",scope=repository:a/b:pull");

        Assert.Equal("https://auth.example/token?a=1,b=2", p["realm"]);
        Assert.Equal("reg \"x\"", p["service"]);
        Assert.Equal("repository:a/b:pull", p["scope"]);
    }

    [Theory]
    [InlineData(RegistryAuth.Basic, "token")]
    [InlineData(RegistryAuth.Bearer, "token")]
    [InlineData(RegistryAuth.Bearer, "access_token")]
    public async Task VerifyAsync_RightPassword_Succeeds(RegistryAuth auth, string tokenField)
    {
        await using var registry = await Registry(auth);
        registry.TokenField = tokenField;
        var (verifier, logger) = Verifier();

        await verifier.VerifyAsync(new DockerAuthEntry(registry.Server, "bot", Password), TestContext.Current.CancellationToken);

        var last = registry.Requests.Last();
        Assert.Equal(("/v2/", auth == RegistryAuth.Basic ? "Basic" : "Bearer"), (last.Path, last.Scheme));
        Assert.Contains(logger.Collector.GetSnapshot(), r => r.Id.Id == 2301);
    }

    [Fact]
    public async Task VerifyAsync_Bearer_AsksTokenEndpointForServiceAndAccountWithBasic()
    {
        await using var registry = await Registry(RegistryAuth.Bearer);
        var (verifier, _) = Verifier();

        await verifier.VerifyAsync(new DockerAuthEntry(registry.Server, "bot", Password), TestContext.Current.CancellationToken);

        var token = Assert.Single(registry.Requests, r => r.Path == "/token");
        Assert.Equal("Basic", token.Scheme);
        Assert.Equal($"?service={FakeRegistryServer.Service}&account=bot", token.Query);
    }

    [Theory]
    [InlineData(RegistryAuth.Basic)]
    [InlineData(RegistryAuth.Bearer)]
    public async Task VerifyAsync_WrongPassword_ThrowsVerifyFailed(RegistryAuth auth)
    {
        await using var registry = await Registry(auth);
        var (verifier, _) = Verifier();

        var e = await Assert.ThrowsAsync<RegistryException>(() =>
            verifier.VerifyAsync(new DockerAuthEntry(registry.Server, "bot", "wrong"), TestContext.Current.CancellationToken));

        Assert.Equal(RegistryVerifier.FailedReason, e.Reason);
        Assert.Contains("401", e.Message);
    }

    [Fact]
    public async Task VerifyAsync_AnonymousRegistry_SucceedsWithWarning()
    {
        await using var registry = await Registry(RegistryAuth.Anonymous);
        var (verifier, logger) = Verifier();

        await verifier.VerifyAsync(new DockerAuthEntry(registry.Server, "bot", "anything"), TestContext.Current.CancellationToken);

        Assert.Contains(logger.Collector.GetSnapshot(), r => r.Id.Id == 2302);
    }

    [Theory]
    [InlineData(HttpStatusCode.ServiceUnavailable, RegistryVerifier.UnreachableReason)]
    [InlineData(HttpStatusCode.TooManyRequests, RegistryVerifier.UnreachableReason)]
    [InlineData(HttpStatusCode.NotFound, RegistryVerifier.FailedReason)]
    public async Task VerifyAsync_UnexpectedStatus_MapsToReason(HttpStatusCode status, string reason)
    {
        await using var registry = await Registry(RegistryAuth.Basic);
        registry.ForcedStatus = status;
        var (verifier, _) = Verifier();

        var e = await Assert.ThrowsAsync<RegistryException>(() =>
            verifier.VerifyAsync(new DockerAuthEntry(registry.Server, "bot", Password), TestContext.Current.CancellationToken));

        Assert.Equal(reason, e.Reason);
    }

    [Fact]
    public async Task VerifyAsync_NothingListening_ThrowsVerifyUnreachable()
    {
        // A port that was free a moment ago: connection refused, not a hang.
        var port = LoopbackHost.FreePort();
        var (verifier, _) = Verifier();

        var e = await Assert.ThrowsAsync<RegistryException>(() =>
            verifier.VerifyAsync(new DockerAuthEntry($"http://127.0.0.1:{port}", "bot", Password), TestContext.Current.CancellationToken));

        Assert.Equal(RegistryVerifier.UnreachableReason, e.Reason);
    }

    [Theory]
    [InlineData(RegistryAuth.Basic)]
    [InlineData(RegistryAuth.Bearer)]
    public async Task VerifyAsync_LoopbackServerWithoutScheme_FallsBackToHttpLikeDocker(RegistryAuth auth)
    {
        await using var registry = await Registry(auth);
        var (verifier, logger) = Verifier();

        await verifier.VerifyAsync(new DockerAuthEntry(registry.Server.Replace("http://", "", StringComparison.Ordinal), "bot", Password),
            TestContext.Current.CancellationToken);

        Assert.Contains(logger.Collector.GetSnapshot(), r => r.Id.Id == 2301); // verified, over http
        Assert.Contains(logger.Collector.GetSnapshot(), r => r.Id.Id == 2303 && r.Message.Contains("TLS handshake failed", StringComparison.Ordinal));
    }

    [Fact]
    public async Task VerifyAsync_TlsHandshakeFails_SaysWhyInOneLine()
    {
        // https to a server that speaks plain http: the handshake fails, and the message says so and why.
        await using var registry = await Registry(RegistryAuth.Basic);
        var (verifier, _) = Verifier();

        var e = await Assert.ThrowsAsync<RegistryException>(() =>
            verifier.VerifyAsync(new DockerAuthEntry(registry.Server.Replace("http://", "https://", StringComparison.Ordinal), "bot", Password),
                TestContext.Current.CancellationToken));

        Assert.Equal(RegistryVerifier.UnreachableReason, e.Reason);
        Assert.Contains(": TLS handshake failed: ", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("see inner exception", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(RegistryAuth.Basic, Password)]
    [InlineData(RegistryAuth.Bearer, Password)]
    [InlineData(RegistryAuth.Bearer, "wrong-" + Password)]
    public async Task VerifyAsync_AnyOutcome_NeverLogsPasswordOrToken(RegistryAuth auth, string password)
    {
        await using var registry = await Registry(auth);
        var (verifier, logger) = Verifier();
        string? error = null;

        try
        {
            await verifier.VerifyAsync(new DockerAuthEntry(registry.Server, "bot", password), TestContext.Current.CancellationToken);
        }
        catch (RegistryException e)
        {
            error = e.ToString();
        }

        var logs = string.Join("\n", logger.Collector.GetSnapshot().Select(r => $"{r.Message} {r.Exception}"));
        Assert.NotEmpty(logs + error);
        foreach (var secret in registry.IssuedTokens.Append(password).Append(Convert.ToBase64String(Encoding.UTF8.GetBytes($"bot:{password}"))))
        {
            Assert.DoesNotContain(secret, logs);
            Assert.DoesNotContain(secret, error ?? "");
        }
        if (password == Password) Assert.Null(error);
        else Assert.NotNull(error);
    }
}
