using k8s.Models;
using SecretRotator.Kubernetes;
using SecretRotator.Tests.Fakes.Kubernetes;
using SecretRotator.Tests.Fakes.Telemetry;
using SecretRotator.Tests.TestSupport;

namespace SecretRotator.Tests.Scheduling;

/// <summary>The daemon against the fake API server: watches restore what the config asks for within seconds.</summary>
public sealed class DaemonWatchTests
{
    private static readonly TimeSpan Promise = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Startup = TimeSpan.FromSeconds(20);

    private static async Task<RunningDaemon> ReadyAsync(DaemonHarness h, string config)
    {
        var daemon = h.Start(config);
        await DaemonHarness.WaitUntilAsync(() => daemon.Exit.IsCompleted || daemon.Logs.Contains("First full pass done", StringComparison.Ordinal), Startup, "first full pass");
        Assert.False(daemon.Exit.IsCompleted, daemon.Logs);
        return daemon;
    }

    [Fact]
    public async Task Daemon_Start_WritesEverySelectedNamespaceAndIsReady()
    {
        await using var h = await DaemonHarness.StartAsync("team-a", "team-b", "other");
        var daemon = await ReadyAsync(h, h.WriteConfig());

        Assert.NotNull(h.Secret("team-a"));
        Assert.NotNull(h.Secret("team-b"));
        Assert.Null(h.Secret("other"));
        Assert.Equal(200, (await daemon.GetAsync("readyz")).Status);
        Assert.Equal(200, (await daemon.GetAsync("healthz")).Status);
        Assert.DoesNotContain(DaemonHarness.Password, daemon.Logs, StringComparison.Ordinal);
        // The watch started at the list's version: only a namespace created after it is a watch event.
        h.Api.AddNamespace("team-c");
        await DaemonHarness.WaitUntilAsync(() => h.Secret("team-c") is not null, Promise, "secret in the namespace added after start");
        var metrics = (await daemon.GetAsync("metrics")).Body;
        foreach (var family in SecretRotator.Telemetry.MetricNames.DaemonExported.Where(f => !f.Contains("restarts", StringComparison.Ordinal)).Concat(["secret_rotator_secret_writes_total", "secret_rotator_token_requests_total"]))
            Assert.Contains($"# TYPE {family} ", metrics, StringComparison.Ordinal);
        Assert.Contains("secret_rotator_watch_events_total{resource=\"namespaces\",type=\"added\"}", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Daemon_WatchMakesNoProgress_HealthzFailsThenRecovers()
    {
        await using var h = await DaemonHarness.StartAsync("team-a");
        // Idle streams end every 1-2 s (watch timeout), which is progress; 4 s without any means stuck.
        var daemon = h.Start(h.WriteConfig(), timings: o => (o.WatchTimeout, o.StuckAfter) = (TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(4)));
        await DaemonHarness.WaitUntilAsync(() => daemon.Logs.Contains("First full pass done", StringComparison.Ordinal), Startup, "first full pass");
        var down = true;
        h.Api.FaultHook = r => down && r.Verb is "watch" or "list" ? KubeFault.Unavailable() : null;
        h.Api.EndWatches();

        await DaemonHarness.WaitUntilAsync(async () => (await daemon.GetAsync("healthz")).Status == 503, TimeSpan.FromSeconds(10), "healthz fails while watches are stuck");
        Assert.Contains("made no progress", (await daemon.GetAsync("healthz")).Body + daemon.Logs, StringComparison.Ordinal);
        down = false;

        await DaemonHarness.WaitUntilAsync(async () => (await daemon.GetAsync("healthz")).Status == 200, TimeSpan.FromSeconds(10), "healthz recovers");
    }

    [Fact]
    public async Task Daemon_NamespaceCreated_GetsSecretWithinFiveSeconds()
    {
        await using var h = await DaemonHarness.StartAsync("team-a");
        var daemon = await ReadyAsync(h, h.WriteConfig());

        h.Api.AddNamespace("team-new");

        var took = await DaemonHarness.WaitUntilAsync(() => h.Secret("team-new") is not null, Promise, "secret in the new namespace");
        Assert.True(took < Promise, daemon.Logs);
        Assert.Equal(ManagedSecret.SecretType, h.Secret("team-new")!.Type);
    }

    [Fact]
    public async Task Daemon_NamespaceCreated_ObservesNamespaceReadyOncePerSecretAndNotForNamespacesItStartedWith()
    {
        // Arrange: team-a exists before the daemon starts (its first pass creates the secret there: not observed).
        await using var h = await DaemonHarness.StartAsync("team-a");
        var daemon = await ReadyAsync(h, h.WriteConfig());

        // Act: a namespace created while the daemon watches; then its secret is deleted and created again.
        h.Api.AddNamespace("team-new");
        await DaemonHarness.WaitUntilAsync(() => h.Secret("team-new") is not null, Promise, "secret in the new namespace");
        var first = Exposition.Parse((await daemon.GetAsync("metrics")).Body);
        h.Api.DeleteSecret("team-new", "regcred");
        await DaemonHarness.WaitUntilAsync(() => h.Secret("team-new") is not null, Promise, "secret restored");
        var second = Exposition.Parse((await daemon.GetAsync("metrics")).Body);

        // Assert
        Assert.Equal(1, Exposition.Single(first, "secret_rotator_namespace_ready_seconds_count", ("secret", "regcred")).Value);
        Assert.InRange(Exposition.Single(first, "secret_rotator_namespace_ready_seconds_sum", ("secret", "regcred")).Value, 0, Promise.TotalSeconds + 1);
        Assert.Equal(1, Exposition.Single(second, "secret_rotator_namespace_ready_seconds_count", ("secret", "regcred")).Value);
        Assert.DoesNotContain(second, s => s.Name.StartsWith("secret_rotator_namespace_ready_seconds", StringComparison.Ordinal) && s.Labels.ContainsKey("namespace"));
    }

    [Fact]
    public async Task Daemon_NamespaceRelabelledToMatch_GetsSecret()
    {
        await using var h = await DaemonHarness.StartAsync("apps");
        await ReadyAsync(h, h.WriteConfig(namespaces: "selector: \"pull-secrets=enabled\""));
        Assert.Null(h.Secret("apps"));

        h.Api.SetNamespaceLabels("apps", new Dictionary<string, string> { ["pull-secrets"] = "enabled" });

        await DaemonHarness.WaitUntilAsync(() => h.Secret("apps") is not null, Promise, "secret after relabel");
    }

    [Fact]
    public async Task Daemon_ManagedSecretDeleted_IsRestoredWithinFiveSeconds()
    {
        await using var h = await DaemonHarness.StartAsync("team-a");
        await ReadyAsync(h, h.WriteConfig());
        var before = h.Secret("team-a")!;

        h.Api.DeleteSecret("team-a", "regcred");

        await DaemonHarness.WaitUntilAsync(() => h.Secret("team-a") is not null, Promise, "deleted secret restored");
        Assert.Equal(before.Data[ManagedSecret.DataKey], h.Secret("team-a")!.Data[ManagedSecret.DataKey]);
    }

    [Fact]
    public async Task Daemon_ManagedSecretEditedByHand_IsRestored()
    {
        await using var h = await DaemonHarness.StartAsync("team-a");
        await ReadyAsync(h, h.WriteConfig());
        var good = h.Secret("team-a")!.Data[ManagedSecret.DataKey];
        var edited = h.Secret("team-a")!;
        edited.Data[ManagedSecret.DataKey] = """{"auths":{"evil.example.com":{"auth":"eDp5"}}}"""u8.ToArray();

        h.Api.ReplaceSecret(edited);

        await DaemonHarness.WaitUntilAsync(() => h.Secret("team-a")!.Data[ManagedSecret.DataKey].SequenceEqual(good), Promise, "edited secret restored");
    }

    [Fact]
    public async Task Daemon_ServiceAccountEntryRemoved_IsPutBack()
    {
        await using var h = await DaemonHarness.StartAsync("team-a");
        await ReadyAsync(h, h.WriteConfig(serviceAccounts: "[default]"));
        Assert.Contains(h.Api.GetServiceAccount("team-a", "default")!.ImagePullSecrets, r => r.Name == "regcred");
        var sa = h.Api.GetServiceAccount("team-a", "default")!;
        sa.ImagePullSecrets = [];

        h.Api.ReplaceServiceAccount(sa);

        await DaemonHarness.WaitUntilAsync(() => h.Api.GetServiceAccount("team-a", "default")!.ImagePullSecrets?.Any(r => r.Name == "regcred") == true,
            Promise, "imagePullSecrets entry put back");
    }

    [Fact]
    public async Task Daemon_BurstOfNewNamespaces_LinksEveryDefaultAccountWithoutA409()
    {
        // Arrange: issue 23: each new namespace's "default" account is linked, then its (older) ADDED event arrives and
        // triggers a reconcile from the version our write replaced. An update from it was a 409.
        await using var h = await DaemonHarness.StartAsync("team-a");
        await ReadyAsync(h, h.WriteConfig(serviceAccounts: "[default]"));
        var names = Enumerable.Range(0, 30).Select(i => $"team-burst-{i}").ToList();

        // Act
        foreach (var name in names) h.Api.AddNamespace(name);
        await DaemonHarness.WaitUntilAsync(() => names.All(n => h.Api.GetServiceAccount(n, "default")?.ImagePullSecrets?.Any(r => r.Name == "regcred") == true),
            TimeSpan.FromSeconds(30), "every new namespace's default account lists regcred");

        // Assert
        Assert.DoesNotContain(h.Api.Journal, r => r.Resource == "serviceaccounts" && r.StatusCode is 409 or 422);
        Assert.Equal(0, h.Api.CountRequests("update", "serviceaccounts"));
        Assert.All(names, n => Assert.Single(h.Api.GetServiceAccount(n, "default")!.ImagePullSecrets, r => r.Name == "regcred"));
    }

    [Fact]
    public async Task Daemon_WatchExpiredWhileDisconnected_RelistsAndServesMissedNamespace()
    {
        await using var h = await DaemonHarness.StartAsync("team-a");
        var daemon = await ReadyAsync(h, h.WriteConfig());
        var lists = h.Api.CountRequests("list", "namespaces");
        // Re-watches fail until the history the daemon would resume from is gone.
        var blocked = true;
        h.Api.FaultHook = r => blocked && r.Verb == "watch" ? KubeFault.Unavailable() : null;
        h.Api.EndWatches();
        h.Api.AddNamespace("team-missed");
        h.Api.CompactWatchHistory();

        blocked = false;

        await DaemonHarness.WaitUntilAsync(() => h.Secret("team-missed") is not null, Promise, "namespace created during the gap is served");
        Assert.True(h.Api.CountRequests("list", "namespaces") > lists, "relisted after 410");
        Assert.Contains("410 Gone", daemon.Logs, StringComparison.Ordinal);
    }

    private static readonly string[] Watched = ["namespaces", "secrets", "serviceaccounts"];

    /// <summary>
    /// Moves the global resourceVersion with writes none of the daemon's watches sees (an unmanaged secret), then compacts
    /// the history and drops every stream: only a daemon that kept the bookmarks' versions can resume without a relist.
    /// </summary>
    private static async Task<(RunningDaemon Daemon, int Lists, int Streams)> CompactAfterQuietWritesAsync(DaemonHarness h, bool bookmarks)
    {
        h.Api.BookmarkInterval = bookmarks ? TimeSpan.FromMilliseconds(50) : null;
        var daemon = await ReadyAsync(h, h.WriteConfig());
        h.Api.AddSecret(new V1Secret { Metadata = new V1ObjectMeta { Name = "unrelated", NamespaceProperty = "team-a" }, Type = "Opaque" });
        var quiet = h.Api.ResourceVersion;
        if (bookmarks)
        {
            await DaemonHarness.WaitUntilAsync(() => Watched.All(r => h.Api.Bookmarks.Any(b => b.Resource == r && b.ResourceVersion >= quiet)), Promise,
                "bookmarks past the quiet write on every watch");
        }
        var lists = Watched.Sum(r => h.Api.CountRequests("list", r));
        var streams = h.Api.WatchStreamsOpened;

        h.Api.CompactWatchHistory();
        h.Api.EndWatches();
        h.Api.AddNamespace("team-after");

        await DaemonHarness.WaitUntilAsync(() => h.Secret("team-after") is not null, Promise, "namespace created after the reconnect is served");
        return (daemon, lists, streams);
    }

    [Fact]
    public async Task Daemon_BookmarksPastCompaction_StreamDropped_ResumesFromBookmarkWithoutRelist()
    {
        await using var h = await DaemonHarness.StartAsync("team-a");

        var (daemon, lists, streams) = await CompactAfterQuietWritesAsync(h, bookmarks: true);

        // A bookmark on a stream opened after the drop proves that watch is up again; a 410 would have relisted before it.
        await DaemonHarness.WaitUntilAsync(() => Watched.All(r => h.Api.Bookmarks.Any(b => b.Resource == r && b.Stream > streams)), Promise,
            "every watch resumed");
        Assert.Equal(lists, Watched.Sum(r => h.Api.CountRequests("list", r)));
        Assert.DoesNotContain("410 Gone", daemon.Logs, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Daemon_NoBookmarks_StreamDroppedAfterCompaction_RelistsOn410()
    {
        await using var h = await DaemonHarness.StartAsync("team-a");

        var (daemon, lists, _) = await CompactAfterQuietWritesAsync(h, bookmarks: false);

        await DaemonHarness.WaitUntilAsync(() => Watched.All(r => h.Api.CountRequests("list", r) > 0) && Watched.Sum(r => h.Api.CountRequests("list", r)) >= lists + Watched.Length,
            Promise, "every watch relisted: " + string.Join(", ", Watched.Select(r => $"{r}={h.Api.CountRequests("list", r)}")) + $" before {lists}\n" + string.Join("\n", h.Api.Journal.Select(j => $"{j.Verb} {j.Path}?{j.Query} {j.StatusCode}")));
        Assert.Contains("410 Gone", daemon.Logs, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Daemon_StreamDropped_ReconnectsWithBackoffAndServesNewNamespace()
    {
        await using var h = await DaemonHarness.StartAsync("team-a");
        var daemon = await ReadyAsync(h, h.WriteConfig());
        h.Api.FailNext(KubeFault.Drop(), times: 3, when: r => r.Verb == "watch" && r.Resource == "namespaces");

        h.Api.EndWatches();
        h.Api.AddNamespace("team-after-drop");

        await DaemonHarness.WaitUntilAsync(() => h.Secret("team-after-drop") is not null, Promise, "served after reconnect");
        Assert.Contains("restarts (disconnected)", daemon.Logs, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Daemon_ApiDownForAWhile_BacksOffWithoutBusyLoopAndRecovers()
    {
        await using var h = await DaemonHarness.StartAsync("team-a");
        var daemon = await ReadyAsync(h, h.WriteConfig());
        var down = true;
        h.Api.FaultHook = _ => down ? KubeFault.Unavailable() : null;
        h.Api.EndWatches();
        var started = TimeProvider.System.GetTimestamp();
        // Down until each watch has failed several times (backoff 50 ms doubling to a 400 ms cap).
        await DaemonHarness.WaitUntilAsync(() => h.Api.Journal.Count(r => r.Verb == "watch" && r.StatusCode == 503) >= 15, TimeSpan.FromSeconds(20), "watches keep retrying");
        var elapsed = TimeProvider.System.GetElapsedTime(started);
        var attempts = h.Api.Journal.Count(r => r.Verb == "watch" && r.StatusCode == 503);

        down = false;
        h.Api.AddNamespace("team-back");

        await DaemonHarness.WaitUntilAsync(() => h.Secret("team-back") is not null, Promise, "served after the API came back");
        // Three loops, each at most one try per backoff step (>= 25 ms even with full jitter): never a busy loop.
        Assert.True(attempts <= 3 * (elapsed.TotalMilliseconds / 25 + 1), $"{attempts} watch attempts in {elapsed}");
        Assert.Equal(200, (await daemon.GetAsync("healthz")).Status);
    }

    [Fact]
    public async Task Daemon_Sigterm_ExitsZero()
    {
        await using var h = await DaemonHarness.StartAsync("team-a");
        var daemon = await ReadyAsync(h, h.WriteConfig());

        var code = await daemon.StopAsync().WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        Assert.True(code == 0, daemon.Logs);
    }

    [Fact]
    public async Task Daemon_StaticPasswordRotated_QuartzJobRewritesSecretsAfterStaticRefreshInterval()
    {
        await using var h = await DaemonHarness.StartAsync("team-a");
        var daemon = await ReadyAsync(h, h.WriteConfig(settings: "{staticRefreshInterval: 10s}"));
        var before = h.Secret("team-a")!.Data[ManagedSecret.DataKey];

        h.WriteFile("password.txt", "rotated-password");

        // The job's trigger was planned at the first fetch: within the interval (less jitter) plus a margin.
        await DaemonHarness.WaitUntilAsync(() => !h.Secret("team-a")!.Data[ManagedSecret.DataKey].SequenceEqual(before), TimeSpan.FromSeconds(20),
            "rotated password reaches the secret");
        Assert.Contains("Registry hub fetched; next fetch at", daemon.Logs, StringComparison.Ordinal);
        Assert.Contains("secret_rotator_last_success_timestamp_seconds{registry=\"hub\"}", (await daemon.GetAsync("metrics")).Body, StringComparison.Ordinal);
    }
}
