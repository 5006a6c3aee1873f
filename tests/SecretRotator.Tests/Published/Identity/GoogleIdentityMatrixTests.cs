using SecretRotator.Tests.Fakes.Google;

namespace SecretRotator.Tests.Published.Identity;

/// <summary>The Google fake (OAuth token, STS, metadata server, IAM Credentials) for the Google cases.</summary>
public sealed class GoogleFakes : IAsyncLifetime
{
    public GoogleFake Google { get; private set; } = null!;
    public ProcessRig Rig { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Google = await new GoogleFake().StartAsync();
        Rig = await ProcessRig.StartAsync("team-a");
    }

    public async ValueTask DisposeAsync()
    {
        await Rig.DisposeAsync();
        await Google.DisposeAsync();
    }
}

/// <summary>
/// GCR / Artifact Registry as the shipped binary runs it: a service account key, workload identity federation (an
/// external account file), the GKE metadata server, and IAM impersonation on top of each. Google's library reads
/// these files and answers with Newtonsoft.Json's reflection, which trimming can break.
/// </summary>
public sealed class GoogleIdentityMatrixTests(GoogleFakes google) : IClassFixture<GoogleFakes>
{
    private const string Target = "ci-puller@other-project.iam.gserviceaccount.com";

    private GoogleFake Fake => google.Google;

    /// <summary>The registry lines and environment that give <paramref name="source"/> as the sign-in.</summary>
    private (string Lines, Dictionary<string, string?> Environment) Source(string source) => source switch
    {
        "key" => ($"credentialsFile: \"{google.Rig.WriteFile("key.json", Fake.KeyFileJson())}\"", []),
        "federation" => ("", new()
        {
            ["GOOGLE_APPLICATION_CREDENTIALS"] = google.Rig.WriteFile("federation.json",
                Fake.ExternalAccountJson(google.Rig.WriteFile("k8s-token", Fake.SubjectToken))),
        }),
        "metadata" => ($"endpoint: \"{Fake.MetadataTokenUri}\"", []),
        _ => throw new ArgumentOutOfRangeException(nameof(source), source, "key, federation or metadata"),
    };

    private static string Config(string secret, string lines) => $$$"""
        registries:
          - {name: gar, type: gcr, servers: [us-docker.pkg.dev, gcr.io]{{{lines}}} }
        secrets:
          - {name: {{{secret}}}, registries: [gar], namespaces: {names: [team-a]}}
        """;

    [Theory]
    [InlineData("key", false)]
    [InlineData("key", true)]
    [InlineData("federation", false)]
    [InlineData("federation", true)]
    [InlineData("metadata", false)]
    [InlineData("metadata", true)]
    public async Task Run_GoogleSignIn_WritesTheAccessTokenForEveryServer(string source, bool impersonate)
    {
        // Arrange
        var secret = $"gar-{source}-{(impersonate ? "impersonated" : "direct")}";
        var (lines, environment) = Source(source);
        var all = string.Join(", ", new[] { lines, impersonate ? $"impersonate: {Target}, iamEndpoint: \"{Fake.BaseAddress}\"" : "" }.Where(l => l.Length > 0));
        var issuedBefore = Fake.IssuedTokens.Count;
        var impersonationsBefore = Fake.ImpersonationRequests.Count;

        // Act
        var run = await google.Rig.RunAsync(Config(secret, all.Length == 0 ? "" : ", " + all), environment);

        // Assert
        Assert.True(run.ExitCode == 0, run.ToString());
        var issued = Fake.IssuedTokens.Skip(issuedBefore).ToList();
        Assert.Equal(impersonate ? 2 : 1, issued.Count);
        var token = issued[^1];
        Assert.StartsWith(impersonate ? "ya29.impersonated-" : source switch { "key" => "ya29.sa-", "federation" => "ya29.federated-", _ => "ya29.gke-" },
            token, StringComparison.Ordinal);
        Assert.Equal(ProcessRig.Expected(("gcr.io", "oauth2accesstoken", token), ("us-docker.pkg.dev", "oauth2accesstoken", token)),
            google.Rig.DockerConfigJson("team-a", secret, run));
        var impersonations = Fake.ImpersonationRequests.Skip(impersonationsBefore).ToList();
        if (impersonate) Assert.Equal((Target, issued[0]), (Assert.Single(impersonations).Target, impersonations[0].CallerToken));
        else Assert.Empty(impersonations);
        Assert.DoesNotContain(token, run.Stdout + run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_ImpersonationDenied_FailsForbiddenWithIamMessage()
    {
        // Arrange
        const string denied = "nobody@other-project.iam.gserviceaccount.com";
        Fake.DeniedTargets.Add(denied);
        var (lines, environment) = Source("key");

        // Act
        var run = await google.Rig.RunAsync(Config("gar-denied", $", {lines}, impersonate: {denied}, iamEndpoint: \"{Fake.BaseAddress}\""), environment);

        // Assert
        Assert.True(run.ExitCode == 1, run.ToString());
        var line = ProcessRig.FailureLine(run, "gar");
        Assert.Contains("(forbidden)", line, StringComparison.Ordinal);
        Assert.Contains($"generateAccessToken for {denied}", line, StringComparison.Ordinal);
        Assert.Contains("HTTP 403 PERMISSION_DENIED: Permission 'iam.serviceAccounts.getAccessToken' denied", line, StringComparison.Ordinal);
        Assert.Null(google.Rig.Api.GetSecret("team-a", "gar-denied"));
        Assert.DoesNotContain("PRIVATE KEY", run.Stdout + run.Stderr, StringComparison.Ordinal);
    }
}
