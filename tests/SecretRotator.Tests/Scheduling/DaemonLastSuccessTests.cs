using Microsoft.Extensions.DependencyInjection;
using SecretRotator.Configuration;
using SecretRotator.Kubernetes;
using SecretRotator.Registries;
using SecretRotator.Tests.Fakes.Telemetry;
using SecretRotator.Tests.TestSupport;

namespace SecretRotator.Tests.Scheduling;

/// <summary>
/// `secret_rotator_last_success_timestamp_seconds` in the daemon: the last pass that confirmed every secret of the registry,
/// fetched or from a still-valid cached token (the contract `run` follows too). A 12-hour token is fetched about every
/// 11 hours; if only fetches counted, SecretRotatorStale (3 hours) would fire all day on a healthy daemon.
/// </summary>
public sealed class DaemonLastSuccessTests
{
    private const string Metric = "secret_rotator_last_success_timestamp_seconds";

    /// <summary>One registry whose token lives 12 hours; resync every 10 s (the shortest staticRefreshInterval allowed).</summary>
    private const string Config = """
        registries:
          - {name: twelve-hours, type: test-long-lived}
        secrets:
          - name: regcred
            registries: [twelve-hours]
            namespaces: {names: ["team-*"]}
        settings: {staticRefreshInterval: 10s}
        """;

    [Fact]
    public async Task Daemon_LongLivedToken_ConfirmsLastSuccessAtFirstPassAndEachResyncWithoutFetching()
    {
        // Arrange
        await using var h = await DaemonHarness.StartAsync("team-a", "team-b");
        var provider = new LongLivedTokenProvider();
        var config = h.WriteFile("config.yaml", Config);

        // Act
        var daemon = h.Start(config, services: s => s.AddSingleton<IRegistryProvider>(provider));
        await DaemonHarness.WaitUntilAsync(() => daemon.Exit.IsCompleted || daemon.Logs.Contains("First full pass done", StringComparison.Ordinal),
            TimeSpan.FromSeconds(20), "first full pass");
        var first = await LastSuccessAsync(daemon);
        await DaemonHarness.WaitUntilAsync(async () => await LastSuccessAsync(daemon) > first, TimeSpan.FromSeconds(30), "a resync advances last success");

        // Assert
        Assert.True(first > 0, daemon.Logs);
        Assert.Equal(1, provider.Fetches);
        Assert.NotNull(h.Secret("team-b"));
    }

    [Fact]
    public async Task Daemon_SecretWritesRefused_DoesNotConfirmLastSuccess()
    {
        // Arrange: every secret create is refused (401), so no pass of the registry succeeds.
        await using var h = await DaemonHarness.StartAsync("team-a");
        h.Api.FaultHook = r => r.Verb == "create" && r.Resource == "secrets" ? Fakes.Kubernetes.KubeFault.Unauthorized() : null;
        var config = h.WriteFile("config.yaml", Config);

        // Act
        var daemon = h.Start(config, services: s => s.AddSingleton<IRegistryProvider>(new LongLivedTokenProvider()));
        await DaemonHarness.WaitUntilAsync(() => daemon.Exit.IsCompleted || daemon.Logs.Contains("First full pass done", StringComparison.Ordinal),
            TimeSpan.FromSeconds(20), "first full pass");
        var metrics = (await daemon.GetAsync("metrics")).Body;

        // Assert
        Assert.Contains("secret_rotator_secret_failures_total", metrics, StringComparison.Ordinal);
        Assert.DoesNotContain(Metric + "{", metrics, StringComparison.Ordinal);
    }

    private static async Task<double> LastSuccessAsync(RunningDaemon daemon)
    {
        var samples = Exposition.Parse((await daemon.GetAsync("metrics")).Body);
        return samples.Any(s => s.Name == Metric) ? Exposition.Single(samples, Metric, ("registry", "twelve-hours")).Value : 0;
    }

    /// <summary>A registry type whose token lives 12 hours; counts fetches.</summary>
    private sealed class LongLivedTokenProvider : IRegistryProvider
    {
        private int _fetches;

        public int Fetches => Volatile.Read(ref _fetches);

        public string Type => "test-long-lived";

        public object ParseOptions(ConfigMap map) => new object();

        public Task<RegistryCredential> GetCredentialAsync(RegistryDefinition registry, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _fetches);
            return Task.FromResult(new RegistryCredential([new DockerAuthEntry("registry.example.com", "robot", "token-" + Fetches)],
                DateTimeOffset.UtcNow.AddHours(12)));
        }
    }
}
