using System.Globalization;
using k8s;
using k8s.Autorest;
using k8s.Models;
using SecretRotator.Kubernetes;
using SecretRotator.Telemetry;
using SecretRotator.Tests.Fakes.Kubernetes;
using SecretRotator.Tests.TestSupport;

namespace SecretRotator.Tests.Scheduling;

/// <summary>Two daemons against one fake API server, electing a leader through a coordination.k8s.io Lease.</summary>
public sealed class DaemonLeaderElectionTests
{
    private static readonly TimeSpan LeaseDuration = TimeSpan.FromSeconds(2);

    private static async Task<(RunningDaemon Leader, RunningDaemon Standby, string StandbyIdentity)> StartPairAsync(DaemonHarness h, string config)
    {
        var a = h.Start(config, "daemon-a", leaderElect: true);
        var b = h.Start(config, "daemon-b", leaderElect: true);
        await DaemonHarness.WaitUntilAsync(() => h.Secret("team-a") is not null, TimeSpan.FromSeconds(20), "one daemon leads and writes");
        var holder = h.Api.GetLease("kube-system", "secret-rotator")!.Spec.HolderIdentity;
        return holder == "daemon-a" ? (a, b, "daemon-b") : (b, a, "daemon-a");
    }

    [Fact]
    public async Task TwoDaemons_NamespacesCreated_OnlyTheLeaderWritesAndNoSecretIsWrittenTwice()
    {
        await using var h = await DaemonHarness.StartAsync("kube-system", "team-a");
        var (leader, standby, _) = await StartPairAsync(h, h.WriteConfig(serviceAccounts: "[default]"));

        foreach (var i in Enumerable.Range(1, 5)) h.Api.AddNamespace($"team-{i}");

        await DaemonHarness.WaitUntilAsync(() => Enumerable.Range(1, 5).All(i => h.Secret($"team-{i}") is not null), TimeSpan.FromSeconds(5), "all new namespaces served");
        Assert.True(leader.Writes.SecretWrites >= 6, leader.Logs);
        Assert.Equal(0, standby.Writes.SecretWrites);
        Assert.Equal(0, standby.Writes.ServiceAccountWrites);
        // Committed writes: one create per namespace, no update. (A create that meets 409 AlreadyExists because the watch had
        // not yet shown the daemon its own secret is a request, not a write.)
        var creates = h.Api.Journal.Where(r => r.Verb == "create" && r.Resource == "secrets" && r.StatusCode == 201).GroupBy(r => r.Namespace).ToList();
        Assert.Equal(6, creates.Count);
        Assert.All(creates, g => Assert.Single(g));
        Assert.DoesNotContain(h.Api.Journal, r => r.Verb == "update" && r.Resource == "secrets" && r.StatusCode == 200);
        var (status, body) = await standby.GetAsync("readyz");
        Assert.Equal((200, "ok (standby)\n"), (status, body));
        Assert.Contains("secret_rotator_leader 0", (await standby.GetAsync("metrics")).Body, StringComparison.Ordinal);
        Assert.Contains("secret_rotator_leader 1", (await leader.GetAsync("metrics")).Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TwoDaemons_LeaderStops_StandbyTakesOverWithinLeaseDuration()
    {
        await using var h = await DaemonHarness.StartAsync("kube-system", "team-a");
        var (leader, standby, standbyIdentity) = await StartPairAsync(h, h.WriteConfig());

        Assert.Equal(0, await leader.StopAsync());
        var stopped = TimeProvider.System.GetTimestamp();
        h.Api.AddNamespace("team-after-failover");

        await DaemonHarness.WaitUntilAsync(() => h.Secret("team-after-failover") is not null, LeaseDuration + TimeSpan.FromSeconds(5), "standby took over");
        Assert.True(TimeProvider.System.GetElapsedTime(stopped) < LeaseDuration + TimeSpan.FromSeconds(5));
        Assert.True(standby.Writes.SecretWrites >= 1, standby.Logs);
        Assert.Equal(standbyIdentity, h.Api.GetLease("kube-system", "secret-rotator")!.Spec.HolderIdentity);
    }

    [Fact]
    public async Task Daemon_LeaseLostAndRegained_FetchesAgainInsteadOfTrustingItsCache()
    {
        // Arrange: one daemon leads; static credentials are re-read only hourly, so only a fetch at leadership start can
        // pick up a password rotated while it stood by.
        var ct = TestContext.Current.CancellationToken;
        await using var h = await DaemonHarness.StartAsync("kube-system", "team-a");
        var daemon = h.Start(h.WriteConfig(settings: "{staticRefreshInterval: 1h}"), "daemon-a", leaderElect: true);
        await DaemonHarness.WaitUntilAsync(() => h.Secret("team-a") is not null, TimeSpan.FromSeconds(20), "the daemon leads and writes");
        h.WriteFile("password.txt", "rotated-while-standing-by");

        // Act: another holder takes the lease for 4 s; the daemon loses leadership, then acquires it again.
        using var client = h.Api.CreateClient();
        await StealLeaseAsync(client, ct);
        await DaemonHarness.WaitUntilAsync(() => DockerConfigJson.TryParse(h.Secret("team-a")!.Data[ManagedSecret.DataKey])?.Values
            .Any(e => e.Password == "rotated-while-standing-by") == true, TimeSpan.FromSeconds(30), "the rotated password after leadership came back");

        // Assert
        Assert.Equal("daemon-a", h.Api.GetLease("kube-system", "secret-rotator")!.Spec.HolderIdentity);
        Assert.DoesNotContain("rotated-while-standing-by", daemon.Logs, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Standby_ApiServerStopsAnswering_LeaseObservedTimestampStopsWhileReadyzStaysOk()
    {
        // Arrange: another replica holds the lease for an hour, so this daemon stands by and polls it.
        var ct = TestContext.Current.CancellationToken;
        await using var h = await DaemonHarness.StartAsync("kube-system", "team-a");
        using var client = h.Api.CreateClient();
        var now = DateTime.UtcNow;
        await client.CoordinationV1.CreateNamespacedLeaseAsync(new V1Lease
        {
            Metadata = new V1ObjectMeta { Name = "secret-rotator", NamespaceProperty = "kube-system" },
            Spec = new V1LeaseSpec { HolderIdentity = "other-replica", LeaseDurationSeconds = 3600, AcquireTime = now, RenewTime = now },
        }, "kube-system", cancellationToken: ct);
        var standby = h.Start(h.WriteConfig(), "daemon-b", leaderElect: true);
        var started = await LeaseObservedAsync(standby);
        await DaemonHarness.WaitUntilAsync(async () => await LeaseObservedAsync(standby) > started, TimeSpan.FromSeconds(10), "the timestamp advances while the API answers");

        // Act: every Lease request now fails, as when the standby's node loses the API server.
        var refused = 0;
        h.Api.FaultHook = r => r.Resource == "leases" && Interlocked.Increment(ref refused) > 0 ? KubeFault.Unavailable() : null;
        await DaemonHarness.WaitUntilAsync(() => Volatile.Read(ref refused) >= 2, TimeSpan.FromSeconds(10), "two polls refused");
        var lastHeard = await LeaseObservedAsync(standby);
        await DaemonHarness.WaitUntilAsync(() => Volatile.Read(ref refused) >= 6, TimeSpan.FromSeconds(10), "four more polls refused");

        // Assert
        Assert.Equal(lastHeard, await LeaseObservedAsync(standby));
        Assert.Equal((200, "ok (standby)\n"), await standby.GetAsync("readyz"));
        Assert.Null(h.Secret("team-a"));
    }

    /// <summary>The standby's secret_rotator_leader_election_observed_timestamp_seconds, or a failure when it is not exported.</summary>
    private static async Task<double> LeaseObservedAsync(RunningDaemon daemon)
    {
        var (_, body) = await daemon.GetAsync("metrics");
        var line = body.Split('\n').FirstOrDefault(l => l.StartsWith(MetricNames.LeaseObserved + " ", StringComparison.Ordinal));
        Assert.True(line is not null, $"{MetricNames.LeaseObserved} not exported:\n{body}");
        return double.Parse(line.Split(' ')[1], CultureInfo.InvariantCulture);
    }

    private static async Task StealLeaseAsync(IKubernetes client, CancellationToken ct)
    {
        while (true)
        {
            var lease = await client.CoordinationV1.ReadNamespacedLeaseAsync("secret-rotator", "kube-system", cancellationToken: ct);
            lease.Spec.HolderIdentity = "intruder";
            lease.Spec.LeaseDurationSeconds = 4;
            lease.Spec.AcquireTime = lease.Spec.RenewTime = DateTime.UtcNow;
            try
            {
                await client.CoordinationV1.ReplaceNamespacedLeaseAsync(lease, "secret-rotator", "kube-system", cancellationToken: ct);
                return;
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.Conflict)
            {
                // the daemon renewed in between: read again
            }
        }
    }
}
