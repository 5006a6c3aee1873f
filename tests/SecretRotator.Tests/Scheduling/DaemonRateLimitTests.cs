using SecretRotator.Tests.TestSupport;

namespace SecretRotator.Tests.Scheduling;

/// <summary>
/// settings.qps/burst reach the daemon's own client (the host builds its container after the config is read; once they
/// were applied only to a throwaway container, and the daemon always ran at the 50/100 defaults).
/// </summary>
public sealed class DaemonRateLimitTests
{
    [Fact]
    public async Task Daemon_QpsOne_SpacesItsWritesAboutOneSecondApart()
    {
        // Arrange: six namespaces, one request per second, no burst; the daemon builds its client from a kubeconfig.
        await using var h = await DaemonHarness.StartAsync("team-a", "team-b", "team-c", "team-d", "team-e", "team-f");
        var creates = new System.Collections.Concurrent.ConcurrentQueue<long>();
        h.Api.FaultHook = r =>
        {
            if (r is { Verb: "create", Resource: "secrets" }) creates.Enqueue(TimeProvider.System.GetTimestamp());
            return null;
        };

        // Act
        var daemon = h.Start(h.WriteConfig(settings: "{qps: 1, burst: 1}"), viaKubeconfig: true);
        await DaemonHarness.WaitUntilAsync(() => daemon.Exit.IsCompleted || creates.Count >= 6, TimeSpan.FromSeconds(60), "six secret creates");

        // Assert: five gaps of about a second each; unthrottled, the six creates arrive within milliseconds.
        Assert.False(daemon.Exit.IsCompleted, daemon.Logs);
        var stamps = creates.ToArray();
        var span = TimeProvider.System.GetElapsedTime(stamps[0], stamps[5]);
        Assert.True(span >= TimeSpan.FromSeconds(4), $"six creates within {span}");
        Assert.DoesNotContain(DaemonHarness.Password, daemon.Logs, StringComparison.Ordinal);
    }
}
