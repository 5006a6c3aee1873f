using SecretRotator.Registries;
using SecretRotator.Tests.Fakes.Ecr;

namespace SecretRotator.Tests.Ecr;

public sealed class EcrPublicRegistryProviderTests : IAsyncLifetime
{
    private readonly AwsTestKeys _keys = new();
    private FakeEcrServer _ecr = null!;

    public async ValueTask InitializeAsync() => _ecr = await FakeEcrServer.StartAsync(_keys);

    public async ValueTask DisposeAsync() => await _ecr.DisposeAsync();

    [Fact]
    public async Task GetCredentialAsync_Always_SignsInUsEast1ForEcrPublicAndWritesPublicHost()
    {
        // AWS_REGION elsewhere must not matter: the public API exists only in us-east-1.
        using var host = EcrTestHost.Create(FixedAwsCredentials.From(AwsTestKeys.Base),
            new Dictionary<string, string> { ["AWS_ENDPOINT_URL_ECR_PUBLIC"] = _ecr.Address.ToString(), ["AWS_REGION"] = "eu-west-1" });
        _ecr.ExpiresAtJson = "1.7e9";

        var credential = await host.FetchAsync("", "ecr-public");

        var entry = Assert.Single(credential.Entries);
        Assert.Equal(("public.ecr.aws", "AWS", _ecr.Password), (entry.Server, entry.Username, entry.Password));
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1_700_000_000), credential.ExpiresAt);
        var request = Assert.Single(_ecr.Requests);
        Assert.Null(request.SignatureError);
        Assert.Equal(FakeEcrServer.PublicTarget, request.Target);
        Assert.Equal(("us-east-1", "ecr-public"), (request.Signature!.Region, request.Signature.Service));
    }

    [Fact]
    public async Task GetCredentialAsync_RegistryEndpoint_WinsOverEnvironment()
    {
        await using var other = await FakeEcrServer.StartAsync(_keys);
        using var host = EcrTestHost.Create(FixedAwsCredentials.From(AwsTestKeys.Base),
            new Dictionary<string, string> { ["AWS_ENDPOINT_URL_ECR_PUBLIC"] = other.Address.ToString(), ["AWS_ENDPOINT_URL"] = other.Address.ToString() });

        await host.FetchAsync($"endpoint: {_ecr.Address}", "ecr-public");

        Assert.Single(_ecr.Requests);
        Assert.Empty(other.Requests);
    }

    [Fact]
    public async Task GetCredentialAsync_AccessDenied_ThrowsAccessDenied()
    {
        using var host = EcrTestHost.Create(FixedAwsCredentials.From(AwsTestKeys.Base), new Dictionary<string, string>());
        _ecr.Enqueue(FakeAwsAnswer.Error(400, "com.amazonaws.ecr.public#AccessDeniedException", "not authorized to perform: ecr-public:GetAuthorizationToken"));

        var error = await Assert.ThrowsAsync<RegistryException>(() => host.FetchAsync($"endpoint: {_ecr.Address}", "ecr-public"));

        Assert.Equal("access_denied", error.Reason);
        Assert.Contains("ecr-public:GetAuthorizationToken", error.Message, StringComparison.Ordinal);
    }
}
