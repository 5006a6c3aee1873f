using System.Globalization;
using SecretRotator.Tests.Fakes.Azure;
using SecretRotator.Tests.Fakes.Ecr;
using SecretRotator.Tests.Fakes.Google;
using SecretRotator.Tests.TestSupport;
using static SecretRotator.Tests.CredentialProvider.CredentialProviderExchange;

namespace SecretRotator.Tests.Published;

/// <summary>
/// Token mode (KEP-4412) as a process: kubelet sends the pod's service account token and the annotations its
/// tokenAttributes list; each cloud's exchange fake must see that token and that identity, and nothing of the node's.
/// Then every way a request fails: exit 1, one stderr line, empty stdout.
/// </summary>
public sealed class CredentialProviderTokenModeProcessTests : IDisposable
{
    private const string EcrImage = "123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app";
    private const string RoleArn = "arn:aws:iam::123456789012:role/team-a-pull";
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("secret-rotator-credprov-token-");

    public void Dispose() => _dir.Delete(recursive: true);

    private string WriteFile(string name, string content)
    {
        var path = Path.Combine(_dir.FullName, name);
        File.WriteAllText(path, content);
        return path;
    }

    private Task<CliResult> ServeAsync(Dictionary<string, string?> environment, string config, string request, params string[] extra) =>
        RotatorProcess.RunWithInputAsync(environment, request, ["credential-provider", "--config", config, .. extra]);

    /// <summary>The fakes for AWS token mode; the node has no AWS identity at all.</summary>
    private async Task<(FakeStsServer Sts, FakeEcrServer Ecr, Dictionary<string, string?> Environment, string Config)> AwsAsync(string token)
    {
        var keys = new AwsTestKeys();
        var sts = await FakeStsServer.StartAsync(keys);
        var ecr = await FakeEcrServer.StartAsync(keys);
        sts.ExpectedWebIdentityToken = token;
        ecr.ExpiresAtJson = DateTimeOffset.UtcNow.AddHours(12).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var environment = new Dictionary<string, string?>
        {
            ["AWS_ACCESS_KEY_ID"] = null,
            ["AWS_SECRET_ACCESS_KEY"] = null,
            ["AWS_ROLE_ARN"] = null,
            ["AWS_WEB_IDENTITY_TOKEN_FILE"] = null,
            ["AWS_CONFIG_FILE"] = Path.Combine(_dir.FullName, "no-aws-config"),
            ["AWS_SHARED_CREDENTIALS_FILE"] = Path.Combine(_dir.FullName, "no-aws-credentials"),
            ["AWS_EC2_METADATA_DISABLED"] = "true",
            ["AWS_ENDPOINT_URL_STS"] = sts.Address.ToString(),
            ["AWS_ENDPOINT_URL_ECR"] = ecr.Address.ToString(),
        };
        var config = WriteFile("ecr.yaml", """registries: [{name: prod-ecr, type: ecr, region: us-east-1, accounts: ["123456789012"]}]""");
        return (sts, ecr, environment, config);
    }

    private static Dictionary<string, string> RoleAnnotation() => new() { ["eks.amazonaws.com/ecr-role-arn"] = RoleArn };

    [Fact]
    public async Task Aws_PodToken_AssumesTheAnnotatedRoleAndSignsAsIt()
    {
        // Arrange
        var token = PodToken();
        var (sts, ecr, environment, config) = await AwsAsync(token);
        await using var _ = sts;
        await using var __ = ecr;

        // Act
        var result = await ServeAsync(environment, config, Request(EcrImage, token, RoleAnnotation()));

        // Assert
        var response = AssertServed(result, "123456789012.dkr.ecr.us-east-1.amazonaws.com", "AWS", ecr.Password, token);
        Assert.Equal("Registry", response.GetProperty("cacheKeyType").GetString());
        var call = Assert.Single(sts.Requests);
        Assert.Equal(("AssumeRoleWithWebIdentity", RoleArn), (call.Action, call.Form["RoleArn"]));
        var signed = Assert.Single(ecr.Requests);
        Assert.Null(signed.SignatureError);
        Assert.Equal(call.Issued!.AccessKeyId, signed.Signature!.AccessKeyId);
    }

    [Fact]
    public async Task Azure_PodToken_IsTheClientAssertionOfTheAnnotatedClient()
    {
        // Arrange: Entra only speaks https; the binary trusts the fake's certificate through SSL_CERT_FILE, as a node's OpenSSL would.
        var token = PodToken();
        await using var entra = await new EntraFake { FederatedToken = token }.StartAsync();
        await using var acr = await new AcrExchangeFake { Servers = ["myregistry.azurecr.io"], TenantId = entra.TenantId, AcceptsAccessToken = t => entra.IssuedTokens.Contains(t) }.StartAsync();
        var environment = new Dictionary<string, string?>
        {
            ["AZURE_AUTHORITY_HOST"] = entra.AuthorityHost.AbsoluteUri,
            ["AZURE_TENANT_ID"] = null,
            ["SSL_CERT_FILE"] = WriteFile("entra-ca.pem", TestCertificate.Loopback.ExportCertificatePem()),
        };
        var config = WriteFile("acr.yaml", $"registries: [{{name: acr, type: acr, server: myregistry.azurecr.io, endpoint: \"{acr.Endpoint}\"}}]");
        var annotations = new Dictionary<string, string> { ["azure.workload.identity/client-id"] = entra.ClientId, ["azure.workload.identity/tenant-id"] = entra.TenantId };

        // Act
        var result = await ServeAsync(environment, config, Request("myregistry.azurecr.io/team/app", token, annotations));

        // Assert
        AssertServed(result, "myregistry.azurecr.io", "00000000-0000-0000-0000-000000000000", Assert.Single(acr.IssuedRefreshTokens), token);
        Assert.Equal(1, entra.TokenRequests);
    }

    [Fact]
    public async Task Google_PodToken_ExchangedAtStsThenImpersonatesTheAnnotatedAccount()
    {
        // Arrange
        var token = PodToken();
        await using var google = await new GoogleFake { SubjectToken = token }.StartAsync();
        var config = WriteFile("gcr.yaml", $$"""
            registries:
              - name: gar
                type: gcr
                servers: [us-docker.pkg.dev]
                stsAudience: "{{google.PoolAudience}}"
                stsEndpoint: "{{new Uri(google.BaseAddress, "sts")}}"
                iamEndpoint: "{{google.BaseAddress}}"
            """);
        var annotations = new Dictionary<string, string> { ["iam.gke.io/gcp-service-account"] = "team-a-puller@project.iam.gserviceaccount.com" };

        // Act
        var result = await ServeAsync(new(), config, Request("us-docker.pkg.dev/project/repo/app", token, annotations));

        // Assert
        var impersonation = Assert.Single(google.ImpersonationRequests);
        Assert.Equal("team-a-puller@project.iam.gserviceaccount.com", impersonation.Target);
        var response = AssertServed(result, "us-docker.pkg.dev", "oauth2accesstoken", google.IssuedTokens.Last(), token);
        AssertHalfOf(response, TimeSpan.FromHours(1));
    }

    [Fact]
    public async Task Aws_ExpiredPodToken_RefusedBeforeAnyExchange()
    {
        // Arrange
        var token = PodToken(TimeSpan.FromMinutes(-5));
        var (sts, ecr, environment, config) = await AwsAsync(token);
        await using var _ = sts;
        await using var __ = ecr;

        // Act
        var result = await ServeAsync(environment, config, Request(EcrImage, token, RoleAnnotation()));

        // Assert
        AssertRefused(result, "service account token of system:serviceaccount:team-a:app expired", token);
        Assert.Empty(sts.Requests);
    }

    [Fact]
    public async Task Aws_StsRefusesTheRole_OneLineWithStsReasonAndNoToken()
    {
        // Arrange
        var token = PodToken();
        var (sts, ecr, environment, config) = await AwsAsync(token);
        await using var _ = sts;
        await using var __ = ecr;
        sts.Deny(RoleArn);

        // Act
        var result = await ServeAsync(environment, config, Request(EcrImage, token, RoleAnnotation()), "--verbose");

        // Assert: --verbose logs, but the failure still ends in one error line, and nothing carries the token.
        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Equal("", result.Stdout);
        var errors = result.Stderr.Split('\n').Where(l => l.StartsWith("error: ", StringComparison.Ordinal)).ToList();
        Assert.Contains("STS refused AssumeRoleWithWebIdentity for " + RoleArn + ": HTTP 403 AccessDenied", Assert.Single(errors), StringComparison.Ordinal);
        Assert.DoesNotContain(token, result.Stderr, StringComparison.Ordinal);
        Assert.Empty(ecr.Requests);
    }

    [Fact]
    public async Task Aws_VerboseSuccess_LogsStepsButNeverTheCredentialOrToken()
    {
        // Arrange
        var token = PodToken();
        var (sts, ecr, environment, config) = await AwsAsync(token);
        await using var _ = sts;
        await using var __ = ecr;

        // Act
        var result = await ServeAsync(environment, config, Request(EcrImage, token, RoleAnnotation()), "--verbose");

        // Assert
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("cacheKeyType Registry", result.Stderr, StringComparison.Ordinal);
        var issued = Assert.Single(sts.Requests).Issued!;
        foreach (var secret in new[] { token, ecr.Password, ecr.Token, issued.SecretAccessKey, issued.SessionToken! })
            Assert.DoesNotContain(secret, result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Aws_NoRoleAnnotation_NamesTheAnnotationToPass()
    {
        // Arrange
        var token = PodToken();
        var (sts, ecr, environment, config) = await AwsAsync(token);
        await using var _ = sts;
        await using var __ = ecr;

        // Act
        var result = await ServeAsync(environment, config, Request(EcrImage, token));

        // Assert
        AssertRefused(result, "team-a/app has no annotation eks.amazonaws.com/ecr-role-arn", token);
    }

    public static TheoryData<string, string> BadRequests => new()
    {
        { "", "stdin is empty" },
        { "{not json", "stdin is not valid JSON" },
        { Request("harbor.example.com/app").Replace("/v1\"", "/v1alpha1\"", StringComparison.Ordinal), "apiVersion 'credentialprovider.kubelet.k8s.io/v1alpha1' is not supported" },
        { Request("harbor.example.com/app").Replace("CredentialProviderRequest", "CredentialProviderResponse", StringComparison.Ordinal), "kind 'CredentialProviderResponse' is not CredentialProviderRequest" },
        { Request("ghcr.io/org/app"), "image ghcr.io/org/app matches no registry" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task BadRequest_ExitOneLineEmptyStdout(string request, string expected)
    {
        // Arrange
        var password = WriteFile("password.txt", "pw-never-printed");
        var config = WriteFile("static.yaml", $$$"""registries: [{name: harbor, type: static, server: harbor.example.com, username: robot, password: {file: "{{{password}}}"}}]""");

        // Act
        var result = await ServeAsync(new(), config, request);

        // Assert
        AssertRefused(result, expected, "pw-never-printed");
    }
}
