using SecretRotator.Registries;
using SecretRotator.Tests.Fakes.Ecr;

namespace SecretRotator.Tests.Ecr;

public sealed class EcrRegistryProviderTests : IAsyncLifetime
{
    private readonly AwsTestKeys _keys = new();
    private FakeEcrServer _ecr = null!;

    public async ValueTask InitializeAsync() => _ecr = await FakeEcrServer.StartAsync(_keys);

    public async ValueTask DisposeAsync() => await _ecr.DisposeAsync();

    private EcrTestHost Host(AwsTestKey? key = null, int maxRetries = 3) =>
        EcrTestHost.Create(FixedAwsCredentials.From(key ?? AwsTestKeys.Base), new Dictionary<string, string>(), maxRetries);

    private string Fields(string region = "us-east-1", string extra = "") => $"region: {region}\nendpoint: {_ecr.Address}\n{extra}";

    [Fact]
    public async Task GetCredentialAsync_WithAccounts_WritesOneEntryPerAccountHostFromOneRequest()
    {
        using var host = Host();

        var credential = await host.FetchAsync(Fields(extra: "accounts: [\"123456789012\", \"210987654321\"]"));

        Assert.Single(_ecr.Requests);
        Assert.Equal(["123456789012.dkr.ecr.us-east-1.amazonaws.com", "210987654321.dkr.ecr.us-east-1.amazonaws.com"],
            credential.Entries.Select(e => e.Server));
        Assert.All(credential.Entries, e => Assert.Equal(("AWS", _ecr.Password), (e.Username, e.Password)));
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1732640400), credential.ExpiresAt);
    }

    [Fact]
    public async Task GetCredentialAsync_WithoutAccounts_UsesProxyEndpointHostWithoutScheme()
    {
        using var host = Host();
        _ecr.ProxyEndpoint = "https://444455556666.dkr.ecr.eu-west-1.amazonaws.com";

        var credential = await host.FetchAsync(Fields("eu-west-1"));

        var entry = Assert.Single(credential.Entries);
        Assert.Equal("444455556666.dkr.ecr.eu-west-1.amazonaws.com", entry.Server);
    }

    [Fact]
    public async Task GetCredentialAsync_WithoutAccountsOrProxyEndpoint_FailsWithBadResponse()
    {
        using var host = Host();
        _ecr.ProxyEndpoint = null;

        var error = await Assert.ThrowsAsync<RegistryException>(() => host.FetchAsync(Fields()));

        Assert.Equal("bad_response", error.Reason);
    }

    [Theory]
    [InlineData("cn-north-1", "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn")]
    [InlineData("us-gov-west-1", "123456789012.dkr.ecr.us-gov-west-1.amazonaws.com")]
    public async Task GetCredentialAsync_PartitionRegion_UsesPartitionRegistryHostAndSigningRegion(string region, string expectedHost)
    {
        using var host = Host();

        var credential = await host.FetchAsync(Fields(region, "accounts: [\"123456789012\"]"));

        Assert.Equal(expectedHost, Assert.Single(credential.Entries).Server);
        Assert.Equal(region, Assert.Single(_ecr.Requests).Signature!.Region);
    }

    [Fact]
    public async Task GetCredentialAsync_Always_SendsSigV4SignedAwsJsonRequestForEcr()
    {
        using var host = Host();

        await host.FetchAsync(Fields("ap-south-1", "accounts: [\"123456789012\"]"));

        var request = Assert.Single(_ecr.Requests);
        Assert.Null(request.SignatureError);
        Assert.Equal(("POST", "/", "{}"), (request.Method, request.Path, request.Body));
        Assert.Equal(FakeEcrServer.PrivateTarget, request.Target);
        Assert.Equal("application/x-amz-json-1.1", request.ContentType);
        var signature = request.Signature!;
        Assert.Equal((AwsTestKeys.Base.AccessKeyId, "ap-south-1", "ecr"), (signature.AccessKeyId, signature.Region, signature.Service));
        Assert.Contains("host", signature.SignedHeaders);
        Assert.Contains("x-amz-date", signature.SignedHeaders);
        Assert.Null(signature.SecurityToken);
    }

    [Fact]
    public async Task GetCredentialAsync_SessionCredentials_SendsSecurityToken()
    {
        var session = _keys.Issue("TEST");
        using var host = Host(session);

        await host.FetchAsync(Fields());

        var request = Assert.Single(_ecr.Requests);
        Assert.Null(request.SignatureError);
        Assert.Equal(session.SessionToken, request.Signature!.SecurityToken);
    }

    [Fact]
    public async Task GetCredentialAsync_WrongSecretKey_FakeRejectsSignatureAsInvalidCredentials()
    {
        using var host = Host(AwsTestKeys.Base with { SecretAccessKey = "not-the-secret" });

        var error = await Assert.ThrowsAsync<RegistryException>(() => host.FetchAsync(Fields()));

        Assert.Equal("invalid_credentials", error.Reason);
        Assert.Contains("InvalidSignatureException", error.Message, StringComparison.Ordinal);
        Assert.Contains("does not match", Assert.Single(_ecr.Requests).SignatureError, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1732640400", 1732640400000)]
    [InlineData("1.7e9", 1700000000000)]
    [InlineData("1.7E+9", 1700000000000)]
    [InlineData("1732640400.123", 1732640400123)]
    public async Task GetCredentialAsync_ExpiresAtNumberForms_ParsedAsEpochSeconds(string json, long expectedMilliseconds)
    {
        using var host = Host();
        _ecr.ExpiresAtJson = json;

        var credential = await host.FetchAsync(Fields());

        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(expectedMilliseconds), credential.ExpiresAt);
    }

    [Theory]
    [InlineData(400, "com.amazonaws.ecr#AccessDeniedException", null, "access_denied", "AccessDeniedException")]
    [InlineData(400, "ExpiredTokenException", null, "expired_token", "ExpiredTokenException")]
    [InlineData(400, "", "ExpiredTokenException:http://internal.amazon.com/coral/com.amazon.coral.service/", "expired_token", "ExpiredTokenException")]
    [InlineData(400, "UnrecognizedClientException", null, "invalid_credentials", "UnrecognizedClientException")]
    [InlineData(404, "", null, "aws_error", "HTTP 404")]
    public async Task GetCredentialAsync_AwsError_ThrowsRegistryExceptionWithReason(int status, string type, string? header, string reason, string inMessage)
    {
        using var host = Host();
        _ecr.Enqueue(new FakeAwsAnswer(status, type.Length == 0 ? "" : $$"""{"__type":"{{type}}","message":"told you so"}""", header));

        var error = await Assert.ThrowsAsync<RegistryException>(() => host.FetchAsync(Fields()));

        Assert.Equal(reason, error.Reason);
        Assert.Contains(inMessage, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("registry r1:", error.Message, StringComparison.Ordinal); // the caller names the registry, once
        Assert.Single(_ecr.Requests);
    }

    [Fact]
    public async Task GetCredentialAsync_ThrottledThenServerErrorThenOk_RetriesAndSignsEachAttempt()
    {
        using var host = Host();
        _ecr.Enqueue(FakeAwsAnswer.Error(400, "ThrottlingException", "Rate exceeded"), FakeAwsAnswer.Error(503, "ServerException", "busy"));

        var credential = await host.FetchAsync(Fields(extra: "accounts: [\"123456789012\"]"));

        Assert.Equal(_ecr.Password, Assert.Single(credential.Entries).Password);
        Assert.Equal(3, _ecr.Requests.Count);
        Assert.All(_ecr.Requests, r => Assert.Null(r.SignatureError));
        Assert.Equal(2, host.Logs.GetSnapshot().Count(r => r.Id.Id == 2002));
    }

    [Fact]
    public async Task GetCredentialAsync_AlwaysThrottled_GivesUpAfterBoundedRetries()
    {
        using var host = Host(maxRetries: 2);
        for (var i = 0; i < 5; i++) _ecr.Enqueue(FakeAwsAnswer.Error(400, "com.amazonaws.ecr#ThrottlingException", "Rate exceeded"));

        var error = await Assert.ThrowsAsync<RegistryException>(() => host.FetchAsync(Fields()));

        Assert.Equal("throttled", error.Reason);
        Assert.Equal(3, _ecr.Requests.Count);
    }

    [Fact]
    public async Task GetCredentialAsync_EndpointRefusesConnections_RetriesThenThrowsUnreachable()
    {
        // Bound but never listening: connections are refused, and no other test can take the port meanwhile.
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        socket.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        var address = new Uri($"http://{socket.LocalEndPoint}");
        using var host = Host(maxRetries: 1);

        var error = await Assert.ThrowsAsync<RegistryException>(() => host.FetchAsync($"region: us-east-1\nendpoint: {address}"));

        Assert.Equal("unreachable", error.Reason);
        Assert.Contains(address.Authority, error.Message, StringComparison.Ordinal);
        Assert.Single(host.Logs.GetSnapshot(), r => r.Id.Id == 2005);
    }

    [Theory]
    [InlineData("bm90LWEtY29sb24=")] // "not-a-colon"
    [InlineData("%%%not-base64%%%")]
    public async Task GetCredentialAsync_MalformedToken_FailsWithoutEchoingTheToken(string token)
    {
        using var host = Host();
        _ecr.RawToken = token;

        var error = await Assert.ThrowsAsync<RegistryException>(() => host.FetchAsync(Fields()));

        Assert.Equal("bad_response", error.Reason);
        Assert.DoesNotContain(token, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetCredentialAsync_Success_NeverLogsTokenPasswordOrKeys()
    {
        var session = _keys.Issue("LOG");
        using var host = Host(session);
        _ecr.Enqueue(FakeAwsAnswer.Error(400, "ThrottlingException", "Rate exceeded"));

        await host.FetchAsync(Fields(extra: "accounts: [\"123456789012\"]"));

        var logs = host.Logs.GetSnapshot();
        Assert.Contains(logs, r => r.Id.Id == 2001);
        string[] secrets = [_ecr.Password, _ecr.Token, session.SecretAccessKey, session.SessionToken!];
        var leaks = logs
            .Select(r => $"{r.Category}[{r.Id.Id}] {r.Message} {r.Exception} {string.Join(',', r.StructuredState?.Select(p => p.Value) ?? [])}")
            .Where(text => secrets.Any(secret => text.Contains(secret, StringComparison.Ordinal)));
        Assert.Empty(leaks);
    }
}
