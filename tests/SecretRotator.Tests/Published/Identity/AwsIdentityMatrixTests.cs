using System.Globalization;
using SecretRotator.Tests.Fakes.Ecr;

namespace SecretRotator.Tests.Published.Identity;

/// <summary>Loopback STS, ECR (private and public) and the EKS Pod Identity agent, shared by the AWS cases.</summary>
public sealed class AwsFakes : IAsyncLifetime
{
    public const string IrsaRole = "arn:aws:iam::111122223333:role/rotator-irsa";
    public const string PodToken = "eyJhbGciOiJSUzI1NiJ9.pod-identity-token.matrix";

    public AwsTestKeys Keys { get; } = new();
    public FakeStsServer Sts { get; private set; } = null!;
    public FakeEcrServer Ecr { get; private set; } = null!;
    public FakeContainerCredentialsServer PodIdentity { get; private set; } = null!;
    public ProcessRig Rig { get; private set; } = null!;
    public string ProjectedToken { get; } = "projected-irsa-" + Guid.NewGuid().ToString("N");

    public async ValueTask InitializeAsync()
    {
        Sts = await FakeStsServer.StartAsync(Keys);
        Sts.ExpectedWebIdentityToken = ProjectedToken;
        Ecr = await FakeEcrServer.StartAsync(Keys);
        Ecr.ExpiresAtJson = DateTimeOffset.UtcNow.AddHours(12).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        PodIdentity = await FakeContainerCredentialsServer.StartAsync(Keys);
        PodIdentity.ExpectedAuthorization = PodToken;
        Rig = await ProcessRig.StartAsync("team-a");
    }

    public async ValueTask DisposeAsync()
    {
        await Rig.DisposeAsync();
        await PodIdentity.DisposeAsync();
        await Ecr.DisposeAsync();
        await Sts.DisposeAsync();
    }

    /// <summary>The variables of one base identity, as EKS or the user would set them, with the endpoints pointed here.</summary>
    public Dictionary<string, string?> Environment(string source, string? projectedToken = null)
    {
        var env = new Dictionary<string, string?>
        {
            ["AWS_REGION"] = "us-east-1",
            ["AWS_ENDPOINT_URL_STS"] = Sts.Address.ToString(),
            ["AWS_ENDPOINT_URL_ECR"] = Ecr.Address.ToString(),
            ["AWS_ENDPOINT_URL_ECR_PUBLIC"] = Ecr.Address.ToString(),
        };
        switch (source)
        {
            case "keys":
                env["AWS_ACCESS_KEY_ID"] = AwsTestKeys.Base.AccessKeyId;
                env["AWS_SECRET_ACCESS_KEY"] = AwsTestKeys.Base.SecretAccessKey;
                break;
            case "irsa":
                env["AWS_ROLE_ARN"] = IrsaRole;
                env["AWS_WEB_IDENTITY_TOKEN_FILE"] = Rig.WriteFile("irsa-token", projectedToken ?? ProjectedToken);
                break;
            case "pod-identity":
                env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = PodIdentity.Credentials.ToString();
                env["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"] = Rig.WriteFile("pod-identity-token", PodToken);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(source), source, "keys, irsa or pod-identity");
        }
        return env;
    }
}

/// <summary>
/// ECR and ECR Public as the shipped binary runs them, from every base identity (static keys, IRSA, Pod Identity),
/// with and without <c>roleArn</c>. IRSA and every assume-role failed in the Native AOT binary (issue 21): the SDK
/// could not load AWSSDK.SecurityToken by reflection there.
/// </summary>
public sealed class AwsIdentityMatrixTests(AwsFakes aws) : IClassFixture<AwsFakes>
{
    private const string Account = "444455556666";
    private const string CrossAccountRole = "arn:aws:iam::444455556666:role/ecr-pull";
    private const string PrivateHost = Account + ".dkr.ecr.us-east-1.amazonaws.com";

    private static string Config(string secret, string type, string? roleArn) => $$$"""
        registries:
          - name: aws
            type: {{{type}}}
            {{{(type == "ecr" ? $"region: us-east-1\n    accounts: [\"{Account}\"]" : "")}}}
            {{{(roleArn is null ? "" : $"roleArn: {roleArn}")}}}
        secrets:
          - {name: {{{secret}}}, registries: [aws], namespaces: {names: [team-a]}}
        """;

    /// <summary>The STS calls the base identity makes before any role: IRSA's web identity exchange, none otherwise.</summary>
    private static string[] BaseStsCalls(string source) => source == "irsa" ? ["AssumeRoleWithWebIdentity"] : [];

    [Theory]
    [InlineData("keys", "ecr", false)]
    [InlineData("keys", "ecr", true)]
    [InlineData("irsa", "ecr", false)]
    [InlineData("irsa", "ecr", true)]
    [InlineData("pod-identity", "ecr", false)]
    [InlineData("pod-identity", "ecr", true)]
    [InlineData("keys", "ecr-public", false)]
    [InlineData("irsa", "ecr-public", true)]
    public async Task Run_IdentitySource_WritesTheEcrTokenSignedByThatIdentity(string source, string type, bool assumeRole)
    {
        // Arrange
        var secret = $"{source}-{type}-{(assumeRole ? "role" : "direct")}";
        var stsBefore = aws.Sts.Requests.Count;
        var ecrBefore = aws.Ecr.Requests.Count;
        var podBefore = aws.PodIdentity.Requests.Count;

        // Act
        var run = await aws.Rig.RunAsync(Config(secret, type, assumeRole ? CrossAccountRole : null), aws.Environment(source));

        // Assert
        Assert.True(run.ExitCode == 0, run.ToString());
        var host = type == "ecr" ? PrivateHost : "public.ecr.aws";
        Assert.Equal(ProcessRig.Expected((host, "AWS", aws.Ecr.Password)), aws.Rig.DockerConfigJson("team-a", secret, run));
        var sts = aws.Sts.Requests.Skip(stsBefore).ToList();
        Assert.Equal([.. BaseStsCalls(source), .. assumeRole ? new[] { "AssumeRole" } : []], sts.Select(r => r.Action));
        Assert.All(sts, r => Assert.Null(r.Error));
        var signer = assumeRole ? sts[^1].Issued!
            : source == "irsa" ? sts[0].Issued!
            : source == "pod-identity" ? aws.PodIdentity.Requests.Skip(podBefore).Last().Issued!
            : AwsTestKeys.Base;
        var ecr = Assert.Single(aws.Ecr.Requests.Skip(ecrBefore));
        Assert.Null(ecr.SignatureError);
        Assert.Equal(signer.AccessKeyId, ecr.Signature!.AccessKeyId);
        if (assumeRole)
        {
            Assert.Equal(CrossAccountRole, sts[^1].Form["RoleArn"]);
            Assert.Equal(source == "keys" ? AwsTestKeys.Base.AccessKeyId : source == "irsa" ? sts[0].Issued!.AccessKeyId
                : aws.PodIdentity.Requests.Skip(podBefore).Last().Issued!.AccessKeyId, sts[^1].Signature!.AccessKeyId);
        }
        Assert.DoesNotContain(aws.Ecr.Password, run.Stdout + run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_IrsaWrongProjectedToken_FailsWebIdentityRejectedWithStsMessage()
    {
        // Arrange
        const string secret = "irsa-wrong-token";

        // Act
        var run = await aws.Rig.RunAsync(Config(secret, "ecr", null), aws.Environment("irsa", projectedToken: "not-the-projected-token"));

        // Assert
        Assert.True(run.ExitCode == 1, run.ToString());
        var line = ProcessRig.FailureLine(run, "aws");
        Assert.Contains("(web_identity_rejected)", line, StringComparison.Ordinal);
        Assert.Contains("InvalidIdentityToken: web identity token does not match the projected token", line, StringComparison.Ordinal);
        Assert.Null(aws.Rig.Api.GetSecret("team-a", secret));
        Assert.DoesNotContain("not-the-projected-token", run.Stdout + run.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("keys")]
    [InlineData("irsa")]
    public async Task Run_RoleDenied_FailsAccessDeniedNamingTheRole(string source)
    {
        // Arrange
        const string denied = "arn:aws:iam::444455556666:role/not-allowed";
        aws.Sts.Deny(denied);
        var secret = $"{source}-denied";

        // Act
        var run = await aws.Rig.RunAsync(Config(secret, "ecr", denied), aws.Environment(source));

        // Assert
        Assert.True(run.ExitCode == 1, run.ToString());
        var line = ProcessRig.FailureLine(run, "aws");
        Assert.Contains("(access_denied)", line, StringComparison.Ordinal);
        Assert.Contains($"assuming role {denied} failed: AccessDenied: User is not authorized to perform: sts:AssumeRole on resource: {denied}", line, StringComparison.Ordinal);
        Assert.Null(aws.Rig.Api.GetSecret("team-a", secret));
    }
}
