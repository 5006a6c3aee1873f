using SecretRotator.Kubernetes;
using SecretRotator.Registries;
using SecretRotator.Tests.Fakes.Ecr;

namespace SecretRotator.Tests.Ecr;

/// <summary>The real default AWS chain, driven by process environment variables against loopback STS and ECR.</summary>
[Collection(AwsProcessEnvironmentGroup.Name)]
public sealed class EcrCredentialChainTests(AwsFakesFixture fakes) : IDisposable
{
    private const string IrsaRole = "arn:aws:iam::111122223333:role/rotator-irsa";
    private const string PullRole = "arn:aws:iam::444455556666:role/ecr-pull";
    private readonly string _tokenFile = Path.GetTempFileName();

    private Dictionary<string, string> Environment(params (string Name, string Value)[] extra)
    {
        var values = new Dictionary<string, string>
        {
            ["AWS_REGION"] = "us-east-1",
            ["AWS_ENDPOINT_URL_STS"] = fakes.Sts.Address.ToString(),
            ["AWS_ENDPOINT_URL_ECR"] = fakes.Ecr.Address.ToString(),
        };
        foreach (var (name, value) in extra) values[name] = value;
        return values;
    }

    private (string Name, string Value)[] Irsa()
    {
        var token = "eyJhbGciOiJSUzI1NiJ9.projected-sa-token." + Guid.NewGuid().ToString("N");
        File.WriteAllText(_tokenFile, token);
        fakes.Sts.ExpectedWebIdentityToken = token;
        return [("AWS_ROLE_ARN", IrsaRole), ("AWS_WEB_IDENTITY_TOKEN_FILE", _tokenFile)];
    }

    private static async Task<RegistryCredential> FetchAsync(string fields)
    {
        using var host = EcrTestHost.Create(credentials: null, environment: null);
        return await host.FetchAsync(fields);
    }

    private EcrRequestRecord LastEcrRequest() => fakes.Ecr.Requests[^1];

    [Fact]
    public async Task GetCredentialAsync_Irsa_ExchangesProjectedTokenAndSignsWithSessionKey()
    {
        using var env = new AwsEnvironmentScope(Environment(Irsa()));
        fakes.Sts.Clear();

        var credential = await FetchAsync("region: us-east-1\naccounts: [\"111122223333\"]");

        var sts = Assert.Single(fakes.Sts.Requests);
        Assert.Null(sts.Error);
        Assert.Equal("AssumeRoleWithWebIdentity", sts.Action);
        Assert.Equal(File.ReadAllText(_tokenFile), sts.Form["WebIdentityToken"]);
        Assert.Equal(IrsaRole, sts.Form["RoleArn"]);
        var ecr = LastEcrRequest();
        Assert.Null(ecr.SignatureError);
        Assert.Equal(sts.Issued!.AccessKeyId, ecr.Signature!.AccessKeyId);
        Assert.Equal(sts.Issued.SessionToken, ecr.Signature.SecurityToken);
        Assert.Equal("111122223333.dkr.ecr.us-east-1.amazonaws.com", Assert.Single(credential.Entries).Server);
    }

    [Fact]
    public async Task GetCredentialAsync_EnvironmentKeysWithRoleArn_AssumesRoleSignedByBaseKeys()
    {
        using var env = new AwsEnvironmentScope(Environment(
            ("AWS_ACCESS_KEY_ID", AwsTestKeys.Base.AccessKeyId), ("AWS_SECRET_ACCESS_KEY", AwsTestKeys.Base.SecretAccessKey)));
        fakes.Sts.Clear();

        await FetchAsync($"region: us-east-1\nroleArn: {PullRole}\nexternalId: ext-123\nsessionName: rotator-test");

        var sts = Assert.Single(fakes.Sts.Requests);
        Assert.Null(sts.Error);
        Assert.Equal("AssumeRole", sts.Action);
        Assert.Equal((PullRole, "ext-123", "rotator-test"), (sts.Form["RoleArn"], sts.Form["ExternalId"], sts.Form["RoleSessionName"]));
        Assert.Equal((AwsTestKeys.Base.AccessKeyId, "sts"), (sts.Signature!.AccessKeyId, sts.Signature.Service));
        Assert.Equal(sts.Issued!.AccessKeyId, LastEcrRequest().Signature!.AccessKeyId);
        Assert.Equal(sts.Issued.SessionToken, LastEcrRequest().Signature!.SecurityToken);
    }

    [Fact]
    public async Task GetCredentialAsync_IrsaWithRoleArn_ChainsWebIdentityThenAssumeRole()
    {
        using var env = new AwsEnvironmentScope(Environment(Irsa()));
        fakes.Sts.Clear();

        await FetchAsync($"region: us-east-1\nroleArn: {PullRole}");

        var calls = fakes.Sts.Requests;
        Assert.Equal(["AssumeRoleWithWebIdentity", "AssumeRole"], calls.Select(c => c.Action));
        Assert.All(calls, c => Assert.Null(c.Error));
        Assert.Equal(calls[0].Issued!.AccessKeyId, calls[1].Signature!.AccessKeyId);
        Assert.Equal(calls[0].Issued!.SessionToken, calls[1].Signature!.SecurityToken);
        Assert.Equal(calls[1].Issued!.AccessKeyId, LastEcrRequest().Signature!.AccessKeyId);
    }

    [Fact]
    public async Task GetCredentialAsync_RoleDenied_ThrowsAccessDeniedNamingTheRole()
    {
        using var env = new AwsEnvironmentScope(Environment(Irsa()));
        fakes.Sts.Clear();
        fakes.Sts.Deny(PullRole);
        var before = fakes.Ecr.Requests.Count;

        var error = await Assert.ThrowsAsync<RegistryException>(() => FetchAsync($"region: us-east-1\nroleArn: {PullRole}"));

        Assert.Equal("access_denied", error.Reason);
        Assert.Contains(PullRole, error.Message, StringComparison.Ordinal);
        Assert.Equal(before, fakes.Ecr.Requests.Count);
    }

    [Fact]
    public async Task GetCredentialAsync_WrongProjectedToken_ThrowsWebIdentityRejected()
    {
        using var env = new AwsEnvironmentScope(Environment(Irsa()));
        fakes.Sts.Clear();
        fakes.Sts.ExpectedWebIdentityToken = "some-other-token";

        var error = await Assert.ThrowsAsync<RegistryException>(() => FetchAsync("region: us-east-1"));

        Assert.Equal("web_identity_rejected", error.Reason);
    }

    [Fact]
    public async Task GetCredentialAsync_PodIdentity_UsesAgentCredentialsWithTokenFile()
    {
        var podToken = "pod-identity-token-" + Guid.NewGuid().ToString("N");
        File.WriteAllText(_tokenFile, podToken);
        fakes.PodIdentity.ExpectedAuthorization = podToken;
        using var env = new AwsEnvironmentScope(Environment(
            ("AWS_CONTAINER_CREDENTIALS_FULL_URI", fakes.PodIdentity.Credentials.ToString()), ("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", _tokenFile)));

        await FetchAsync("region: us-east-1");

        var agent = fakes.PodIdentity.Requests[^1];
        Assert.Equal(podToken, agent.Authorization);
        Assert.Equal(agent.Issued!.AccessKeyId, LastEcrRequest().Signature!.AccessKeyId);
        Assert.Equal(agent.Issued.SessionToken, LastEcrRequest().Signature!.SecurityToken);
    }

    [Fact]
    public async Task GetCredentialAsync_NoCredentialsAnywhere_ThrowsNoCredentials()
    {
        using var env = new AwsEnvironmentScope(Environment());
        var before = fakes.Ecr.Requests.Count;

        var error = await Assert.ThrowsAsync<RegistryException>(() => FetchAsync("region: us-east-1"));

        Assert.Equal("no_credentials", error.Reason);
        Assert.Equal(before, fakes.Ecr.Requests.Count);
    }

    public void Dispose() => File.Delete(_tokenFile);
}
