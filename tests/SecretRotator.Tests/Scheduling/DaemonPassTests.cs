using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using SecretRotator.Configuration;
using SecretRotator.Kubernetes;
using SecretRotator.Registries;
using SecretRotator.Tests.Fakes.Telemetry;
using SecretRotator.Tests.TestSupport;

namespace SecretRotator.Tests.Scheduling;

/// <summary>
/// The daemon's passes against the fake API server: the same report and metrics `run` gives (issue 22.3), and a service
/// account that Kubernetes creates a moment after its namespace (issue 23.3).
/// </summary>
public sealed class DaemonPassTests
{
    private static readonly TimeSpan Startup = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan Promise = TimeSpan.FromSeconds(5);

    private static async Task<RunningDaemon> ReadyAsync(DaemonHarness h, string config)
    {
        var daemon = h.Start(config);
        await DaemonHarness.WaitUntilAsync(() => daemon.Exit.IsCompleted || daemon.Logs.Contains("First full pass done", StringComparison.Ordinal), Startup, "first full pass");
        Assert.False(daemon.Exit.IsCompleted, daemon.Logs);
        return daemon;
    }

    private static async Task<IReadOnlyList<Exposition.Sample>> MetricsAsync(RunningDaemon daemon) =>
        Exposition.Parse((await daemon.GetAsync("metrics")).Body);

    [Fact]
    public async Task Daemon_FirstPass_ExportsRunDurationAndLastSuccessLikeRun()
    {
        // Arrange
        await using var h = await DaemonHarness.StartAsync("team-a");

        // Act
        var daemon = await ReadyAsync(h, h.WriteConfig());
        var samples = await MetricsAsync(daemon);

        // Assert: SecretRotatorAbsent and the dashboard's "Run duration" panel read this series.
        Assert.Equal(1, Exposition.Single(samples, "secret_rotator_run_duration_seconds_count").Value);
        Assert.True(Exposition.Single(samples, "secret_rotator_last_success_timestamp_seconds", ("registry", "hub")).Value > 0);
        Assert.Equal(1, Exposition.Single(samples, "secret_rotator_secret_writes_total", ("secret", "regcred"), ("outcome", "created")).Value);
    }

    [Fact]
    public async Task Daemon_RegistryFails_TargetReportsTheRegistrysErrorAndItsFailureCounterRisesEachPass()
    {
        // Arrange: every fetch of the registry fails with its own reason and message.
        await using var h = await DaemonHarness.StartAsync("team-a");
        var config = h.WriteFile("config.yaml", """
            registries:
              - {name: locked, type: test-failing}
            secrets:
              - {name: regcred, registries: [locked], namespaces: {names: ["team-*"]}}
            settings: {staticRefreshInterval: 10s}
            """);

        // Act
        var daemon = h.Start(config, services: s => s.AddSingleton<IRegistryProvider>(new FailingProvider()));
        await DaemonHarness.WaitUntilAsync(() => daemon.Exit.IsCompleted || daemon.Logs.Contains("First full pass done", StringComparison.Ordinal), Startup, "first full pass");
        var first = await FailuresAsync(daemon);
        await DaemonHarness.WaitUntilAsync(async () => await FailuresAsync(daemon) > first, TimeSpan.FromSeconds(25), "the retry's pass counts the failure again");

        // Assert
        Assert.Equal(1, first);
        var failed = daemon.Logs.Split('\n').First(l => l.Contains("Secret regcred in namespace team-a failed", StringComparison.Ordinal));
        Assert.Contains("registry locked: " + FailingProvider.Message, failed, StringComparison.Ordinal);
        Assert.DoesNotContain("no credential", daemon.Logs, StringComparison.Ordinal);
        Assert.DoesNotContain(await MetricsAsync(daemon), s => s.Name == "secret_rotator_last_success_timestamp_seconds");
    }

    /// <summary>A registry type whose every fetch is refused, as a registry that rejects the robot account would.</summary>
    private sealed class FailingProvider : IRegistryProvider
    {
        public const string Message = "registry said 401: robot account locked";

        public string Type => "test-failing";

        public object ParseOptions(ConfigMap map) => new object();

        public Task<RegistryCredential> GetCredentialAsync(RegistryDefinition registry, CancellationToken cancellationToken) =>
            throw new RegistryException("unauthorized", Message);
    }

    private static async Task<double> FailuresAsync(RunningDaemon daemon) =>
        (await MetricsAsync(daemon)).Where(s => s.Name == "secret_rotator_secret_failures_total" && s.Labels.GetValueOrDefault("namespace") == "team-a").Sum(s => s.Value);

    [Fact]
    public async Task Daemon_DefaultServiceAccountCreatedAfterItsNamespace_PendingNotFailedThenPatched()
    {
        // Arrange: as in a real cluster, "default" appears a moment after its namespace.
        await using var h = await DaemonHarness.StartAsync("team-a");
        var daemon = await ReadyAsync(h, h.WriteConfig(serviceAccounts: "[default]"));
        h.Api.CreateDefaultServiceAccount = false;

        // Act
        h.Api.AddNamespace("team-new");
        await DaemonHarness.WaitUntilAsync(() => h.Secret("team-new") is not null, Promise, "the secret in team-new");
        await DaemonHarness.WaitUntilAsync(() => daemon.Logs.Contains("Secret regcred in namespace team-new: created", StringComparison.Ordinal), Promise, "the reconcile is done");
        h.Api.AddServiceAccount(new V1ServiceAccount { Metadata = new V1ObjectMeta { Name = "default", NamespaceProperty = "team-new" } });

        // Assert
        await DaemonHarness.WaitUntilAsync(() => h.Api.GetServiceAccount("team-new", "default")?.ImagePullSecrets?.Any(r => r.Name == "regcred") == true,
            Promise, "the account's watch event adds the entry");
        Assert.DoesNotContain(await MetricsAsync(daemon), s => s.Name == "secret_rotator_secret_failures_total");
        Assert.DoesNotContain("failed (serviceaccount_not_found)", daemon.Logs, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Daemon_ServiceAccountStillMissingAfterGracePeriod_CountsAsFailure()
    {
        // Arrange: a grace period of zero is today's behaviour: a missing account fails at once.
        await using var h = await DaemonHarness.StartAsync("team-a");
        var daemon = await ReadyAsync(h, h.WriteConfig(serviceAccounts: "[default]", settings: "{serviceAccountGracePeriod: 0s}"));
        h.Api.CreateDefaultServiceAccount = false;

        // Act
        h.Api.AddNamespace("team-new");

        // Assert
        await DaemonHarness.WaitUntilAsync(async () => (await MetricsAsync(daemon)).Any(s => s.Name == "secret_rotator_secret_failures_total"
            && s.Labels.GetValueOrDefault("reason") == "serviceaccount_not_found" && s.Labels.GetValueOrDefault("namespace") == "team-new"), Promise,
            "the missing account is a failure");
        Assert.Contains("failed (serviceaccount_not_found)", daemon.Logs, StringComparison.Ordinal);
    }
}
