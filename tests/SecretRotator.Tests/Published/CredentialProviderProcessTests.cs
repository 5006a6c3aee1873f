using System.Globalization;
using SecretRotator.Tests.Fakes.Azure;
using SecretRotator.Tests.Fakes.Ecr;
using SecretRotator.Tests.Fakes.Google;
using SecretRotator.Tests.TestSupport;
using static SecretRotator.Tests.CredentialProvider.CredentialProviderExchange;

namespace SecretRotator.Tests.Published;

/// <summary>
/// <c>credential-provider</c> as kubelet runs it: the shipped binary (the dll, or the Native AOT executable named by
/// SECRET_ROTATOR_BINARY) exec'd with a CredentialProviderRequest on stdin, against the loopback cloud fakes. Every
/// answer goes through <see cref="KubeletResponseCheck"/>, kubelet's own checks.
/// </summary>
public sealed class CredentialProviderProcessTests : IDisposable
{
    private const string StaticPassword = "static-pw-4b1c9e";
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("secret-rotator-credprov-");

    public void Dispose() => _dir.Delete(recursive: true);

    private string WriteFile(string name, string content)
    {
        var path = Path.Combine(_dir.FullName, name);
        File.WriteAllText(path, content);
        return path;
    }

    /// <summary>No AWS identity from this machine: only what a test gives counts.</summary>
    private Dictionary<string, string?> AwsIsolated() => new()
    {
        ["AWS_ACCESS_KEY_ID"] = null,
        ["AWS_SECRET_ACCESS_KEY"] = null,
        ["AWS_SESSION_TOKEN"] = null,
        ["AWS_PROFILE"] = null,
        ["AWS_ROLE_ARN"] = null,
        ["AWS_WEB_IDENTITY_TOKEN_FILE"] = null,
        ["AWS_CONFIG_FILE"] = Path.Combine(_dir.FullName, "no-aws-config"),
        ["AWS_SHARED_CREDENTIALS_FILE"] = Path.Combine(_dir.FullName, "no-aws-credentials"),
        ["AWS_EC2_METADATA_DISABLED"] = "true",
        ["AWS_REGION"] = "us-east-1",
    };

    private async Task<CliResult> ServeAsync(Dictionary<string, string?> environment, string config, string request, params string[] extra) =>
        await RotatorProcess.RunWithInputAsync(environment, request, ["credential-provider", "--config", config, .. extra]);

    private string StaticConfig()
    {
        var password = WriteFile("password.txt", StaticPassword + "\n");
        return WriteFile("static.yaml", $$$"""
            registries:
              - {name: harbor, type: static, server: harbor.example.com, username: robot, password: {file: "{{{password}}}"}}
              - {name: team-a, type: static, server: "quay.example.com/team-a", username: team-a-bot, password: {env: TEAM_A_TOKEN}}
            """);
    }

    [Fact]
    public async Task Static_FileSource_AnswersRegistryWideAndLeavesCachingToKubeletsDefault()
    {
        // Arrange: the config checks every source at load, so the other registry's variable is set too.
        var environment = new Dictionary<string, string?> { ["TEAM_A_TOKEN"] = "team-a-token-77d1" };

        // Act
        var result = await ServeAsync(environment, StaticConfig(), Request("harbor.example.com/platform/api"));

        // Assert
        var response = AssertServed(result, "harbor.example.com", "robot", StaticPassword);
        Assert.Equal("Registry", response.GetProperty("cacheKeyType").GetString());
        Assert.False(response.TryGetProperty("cacheDuration", out _));
        Assert.Single(response.GetProperty("auth").EnumerateObject());
    }

    [Fact]
    public async Task Static_EnvSourceUnderAPath_AnswersPerImageSoOtherTeamsNeverHitTheCache()
    {
        // Arrange
        var environment = new Dictionary<string, string?> { ["TEAM_A_TOKEN"] = "team-a-token-77d1" };

        // Act
        var result = await ServeAsync(environment, StaticConfig(), Request("quay.example.com/team-a/web:2.1"));

        // Assert
        var response = AssertServed(result, "quay.example.com/team-a", "team-a-bot", "team-a-token-77d1");
        Assert.Equal("Image", response.GetProperty("cacheKeyType").GetString());
    }

    [Fact]
    public async Task Ecr_NodeWebIdentity_AnswersTheTokenHalfItsValidity()
    {
        // Arrange: IRSA-style web identity on the node (AWS_ROLE_ARN + token file), assumed through the fake STS.
        var keys = new AwsTestKeys();
        await using var sts = await FakeStsServer.StartAsync(keys);
        await using var ecr = await FakeEcrServer.StartAsync(keys);
        ecr.ExpiresAtJson = DateTimeOffset.UtcNow.AddHours(12).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        sts.ExpectedWebIdentityToken = "node-web-identity-" + Guid.NewGuid().ToString("N");
        var environment = AwsIsolated();
        environment["AWS_ROLE_ARN"] = "arn:aws:iam::123456789012:role/node-ecr-pull";
        environment["AWS_WEB_IDENTITY_TOKEN_FILE"] = WriteFile("web-identity-token", sts.ExpectedWebIdentityToken);
        environment["AWS_ENDPOINT_URL_STS"] = sts.Address.ToString();
        environment["AWS_ENDPOINT_URL_ECR"] = ecr.Address.ToString();
        var config = WriteFile("ecr.yaml", """registries: [{name: prod-ecr, type: ecr, region: us-east-1, accounts: ["123456789012"]}]""");

        // Act
        var result = await ServeAsync(environment, config, Request("123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app"));

        // Assert
        var response = AssertServed(result, "123456789012.dkr.ecr.us-east-1.amazonaws.com", "AWS", ecr.Password);
        Assert.Equal("Registry", response.GetProperty("cacheKeyType").GetString());
        AssertHalfOf(response, TimeSpan.FromHours(12));
        Assert.Equal("AssumeRoleWithWebIdentity", Assert.Single(sts.Requests).Action);
        Assert.Null(Assert.Single(ecr.Requests).SignatureError);
    }

    [Fact]
    public async Task Acr_ManagedIdentity_AnswersTheRefreshToken()
    {
        // Arrange
        const string tenant = "11111111-2222-3333-4444-555555555555";
        await using var identity = await new ManagedIdentityFake { TenantId = tenant }.StartAsync();
        await using var acr = await new AcrExchangeFake { Servers = ["myregistry.azurecr.io"], TenantId = tenant, AcceptsAccessToken = t => identity.IssuedTokens.Contains(t) }.StartAsync();
        var environment = new Dictionary<string, string?> { ["IDENTITY_ENDPOINT"] = identity.Endpoint.AbsoluteUri, ["IDENTITY_HEADER"] = identity.IdentityHeader };
        var config = WriteFile("acr.yaml", $"registries: [{{name: acr, type: acr, server: myregistry.azurecr.io, auth: managed, clientId: {identity.ClientId}, endpoint: \"{acr.Endpoint}\"}}]");

        // Act
        var result = await ServeAsync(environment, config, Request("myregistry.azurecr.io/team/app"));

        // Assert
        var response = AssertServed(result, "myregistry.azurecr.io", "00000000-0000-0000-0000-000000000000", Assert.Single(acr.IssuedRefreshTokens));
        AssertHalfOf(response, acr.RefreshTokenExpiry - DateTimeOffset.UtcNow);
    }

    [Fact]
    public async Task Gcr_MetadataServer_AnswersTheAccessToken()
    {
        // Arrange
        await using var google = await new GoogleFake().StartAsync();
        var config = WriteFile("gcr.yaml", $"registries: [{{name: gar, type: gcr, servers: [us-docker.pkg.dev, gcr.io], endpoint: \"{google.MetadataTokenUri}\"}}]");

        // Act
        var result = await ServeAsync(new(), config, Request("us-docker.pkg.dev/project/repo/app"));

        // Assert
        var response = AssertServed(result, "us-docker.pkg.dev", "oauth2accesstoken", Assert.Single(google.IssuedTokens));
        Assert.Single(response.GetProperty("auth").EnumerateObject()); // only what serves this image, not gcr.io too
        AssertHalfOf(response, TimeSpan.FromHours(1));
    }
}
