using k8s.Models;
using SecretRotator.Tests.Fakes.Ecr;
using SecretRotator.Tests.Fakes.Kubernetes;
using SecretRotator.Tests.TestSupport;

namespace SecretRotator.Tests.Published;

/// <summary>
/// The daemon's full pass as the shipped binary runs it (its own process; the Native AOT executable with
/// SECRET_ROTATOR_BINARY) against the loopback fake API server: prune (issue 22.2) and short-lived tokens (issue 23.1).
/// </summary>
public sealed class PublishedDaemonPassTests : IAsyncLifetime
{
    private const string Password = "pw-daemon-pass-5c1a";
    /// <summary>The shortest staticRefreshInterval allowed: one resync.</summary>
    private static readonly TimeSpan Resync = TimeSpan.FromSeconds(10);
    /// <summary>Start-up and first pass of a fresh process (JIT included when not AOT) on a loaded machine.</summary>
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("secret-rotator-daemon-pass-");
    private FakeKubeApiServer _api = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _api = await FakeKubeApiServer.StartAsync(cancellationToken: Ct);
        _api.AddNamespace("team-a", new Dictionary<string, string> { ["pull-secrets"] = "enabled" });
        _api.AddNamespace("team-b", new Dictionary<string, string> { ["pull-secrets"] = "enabled" });
    }

    public async ValueTask DisposeAsync()
    {
        await _api.DisposeAsync();
        _dir.Delete(recursive: true);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Daemon_NamespaceRelabelledOutOfSelector_PruneRemovesSecretAndEntryWithinOneResyncElseBothStay(bool prune)
    {
        // Arrange
        var config = WriteStaticConfig($"{{prune: {(prune ? "true" : "false")}, staticRefreshInterval: 10s}}");
        await using var daemon = StartDaemon(config, []);
        await WaitUntilAsync(daemon, () => Served("team-a") && Served("team-b"), "the first pass serves team-a and team-b", Deadline);
        var passesBefore = Passes(daemon);

        // Act
        _api.SetNamespaceLabels("team-b", new Dictionary<string, string>());

        // Assert
        if (prune)
        {
            await WaitUntilAsync(daemon, () => _api.GetSecret("team-b", "regcred") is null && !Lists(_api.GetServiceAccount("team-b", "default")),
                "team-b's secret and service-account entry are pruned within one resync", Resync + TimeSpan.FromSeconds(5));
        }
        else
        {
            await WaitUntilAsync(daemon, () => Passes(daemon) >= passesBefore + 2, "a full pass after the relabel", Resync * 2 + TimeSpan.FromSeconds(5));
            Assert.NotNull(_api.GetSecret("team-b", "regcred"));
            Assert.True(Lists(_api.GetServiceAccount("team-b", "default")), daemon.ToString());
        }
        Assert.True(Served("team-a"), daemon.ToString());
        Assert.DoesNotContain(Password, daemon.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Daemon_EcrTokensLivingFifteenSeconds_SecretNeverHoldsAnExpiredTokenWhileAFreshOneWasIssued()
    {
        // Arrange: 15 s tokens, refreshBefore 5 s: each fetch comes 5-6.5 s before the stored token expires, and on today's
        // rule (due only within refreshBefore) no secret was due then, so the next look came after the expiry.
        var keys = new AwsTestKeys();
        await using var ecr = await FakeEcrServer.StartAsync(keys);
        ecr.TokenLifetime = TimeSpan.FromSeconds(15);
        var config = WriteFile("ecr.yaml", """
            registries:
              - {name: prod-ecr, type: ecr, region: us-east-1, accounts: ["123456789012"]}
            secrets:
              - {name: ecrcred, registries: [prod-ecr], namespaces: {names: [team-a]}}
            settings: {refreshBefore: 5s, staticRefreshInterval: 10s}
            """);
        await using var daemon = StartDaemon(config, new Dictionary<string, string?>
        {
            ["AWS_ACCESS_KEY_ID"] = AwsTestKeys.Base.AccessKeyId,
            ["AWS_SECRET_ACCESS_KEY"] = AwsTestKeys.Base.SecretAccessKey,
            ["AWS_SESSION_TOKEN"] = null,
            ["AWS_PROFILE"] = null,
            ["AWS_CONFIG_FILE"] = Path.Combine(_dir.FullName, "no-aws-config"),
            ["AWS_SHARED_CREDENTIALS_FILE"] = Path.Combine(_dir.FullName, "no-aws-credentials"),
            ["AWS_EC2_METADATA_DISABLED"] = "true",
            ["AWS_ENDPOINT_URL_ECR"] = ecr.Address.ToString(),
        });
        await WaitUntilAsync(daemon, () => _api.GetSecret("team-a", "ecrcred") is not null, "the first pass writes ecrcred", Deadline);

        // Act: sample the secret for three token lifetimes.
        var violations = new List<string>();
        var started = TimeProvider.System.GetTimestamp();
        while (TimeProvider.System.GetElapsedTime(started) < TimeSpan.FromSeconds(45))
        {
            var now = DateTimeOffset.UtcNow;
            var held = PasswordIn(_api.GetSecret("team-a", "ecrcred"));
            var issued = ecr.Issued;
            var heldExpiry = issued.FirstOrDefault(t => t.Password == held).ExpiresAt;
            // A token issued over a second ago (time for the pass to write it) and still valid was at hand.
            var fresh = issued.Any(t => t.ExpiresAt > now && t.ExpiresAt - ecr.TokenLifetime.Value < now.AddSeconds(-1));
            if (heldExpiry <= now && fresh) violations.Add($"{now:HH:mm:ss.fff}: holds {held} expired at {heldExpiry:HH:mm:ss.fff}");
            await Task.Delay(200, Ct);
        }

        // Assert
        Assert.True(ecr.Issued.Count >= 3, daemon.ToString());
        Assert.True(violations.Count == 0, string.Join("\n", violations) + "\n" + daemon);
        Assert.False(daemon.HasExited, daemon.ToString());
    }

    private RunningRotator StartDaemon(string config, Dictionary<string, string?> environment)
    {
        environment["Logging__LogLevel__SecretRotator"] = "Debug";
        return RotatorProcess.Start(environment, "daemon", "--config", config, "--kubeconfig", Kubeconfig(), "--port", "0", "--leader-elect", "false");
    }

    private string WriteStaticConfig(string settings)
    {
        WriteFile("password.txt", Password + "\n");
        return WriteFile("config.yaml", $$"""
            registries:
              - name: hub
                type: static
                server: registry.example.com
                username: robot
                password: {file: password.txt}
            secrets:
              - name: regcred
                registries: [hub]
                namespaces: {selector: "pull-secrets=enabled"}
                serviceAccounts: [default]
            settings: {{settings}}
            """);
    }

    private string WriteFile(string name, string content)
    {
        var path = Path.Combine(_dir.FullName, name);
        File.WriteAllText(path, content);
        return path;
    }

    private string Kubeconfig() => WriteFile("kubeconfig", $$$"""
        apiVersion: v1
        kind: Config
        clusters: [{name: fake, cluster: {server: "{{{_api.Url.ToString().TrimEnd('/')}}}"}}]
        users: [{name: fake, user: {token: daemon-pass-token}}]
        contexts: [{name: fake, context: {cluster: fake, user: fake}}]
        current-context: fake
        """);

    private bool Served(string ns) => _api.GetSecret(ns, "regcred") is not null && Lists(_api.GetServiceAccount(ns, "default"));

    private static bool Lists(V1ServiceAccount? account) => account?.ImagePullSecrets?.Any(r => r.Name == "regcred") == true;

    /// <summary>Full passes the daemon has logged (event 5403, debug).</summary>
    private static int Passes(RunningRotator daemon) =>
        daemon.Stderr.Split('\n').Count(l => l.Contains("Full pass (", StringComparison.Ordinal));

    private static string? PasswordIn(V1Secret? secret)
    {
        if (secret?.Data?.TryGetValue(".dockerconfigjson", out var json) != true) return null;
        using var document = System.Text.Json.JsonDocument.Parse(json!);
        foreach (var entry in document.RootElement.GetProperty("auths").EnumerateObject())
            return entry.Value.GetProperty("password").GetString();
        return null;
    }

    private async Task WaitUntilAsync(RunningRotator daemon, Func<bool> condition, string what, TimeSpan within)
    {
        var started = TimeProvider.System.GetTimestamp();
        while (!condition())
        {
            if (daemon.HasExited) throw new Xunit.Sdk.XunitException($"the daemon exited before: {what}\n{daemon}");
            if (TimeProvider.System.GetElapsedTime(started) > within)
                throw new Xunit.Sdk.XunitException($"not within {within}: {what}\n{daemon}\n"
                    + string.Join("\n", _api.Journal.Select(r => $"{r.StatusCode} {r.Verb} {r.Resource} {r.Namespace}/{r.Name}")));
            await Task.Delay(50, Ct);
        }
    }
}
