using System.Globalization;
using SecretRotator.Tests.Fakes.Kubernetes;
using SecretRotator.Tests.TestSupport;

namespace SecretRotator.Tests.Scheduling;

/// <summary>
/// A rolling update as kubelet does it: two daemon processes with the production timings (15 s lease, 2 s retry) against
/// the fake API server, whose Lease has resourceVersions and answers a stale replace with 409 as the apiserver does.
/// </summary>
public sealed class DaemonLeaseReleaseTests : IAsyncLifetime
{
    /// <summary>
    /// Below the 15 s lease a standby waits out without the release (so this fails without it), with room for a loaded
    /// machine: the issue's 3 s target is met on a quiet one (the retry period is 2 s), 7.1 s was measured at load 40.
    /// </summary>
    private static readonly TimeSpan TakeOver = TimeSpan.FromSeconds(12);
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("secret-rotator-lease-");
    private FakeKubeApiServer _api = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _api = await FakeKubeApiServer.StartAsync(cancellationToken: Ct);
        _api.AddNamespace("kube-system");
        _api.AddNamespace("team-a");
    }

    public async ValueTask DisposeAsync()
    {
        await _api.DisposeAsync();
        _dir.Delete(recursive: true);
    }

    private string WriteFile(string name, string content)
    {
        var path = Path.Combine(_dir.FullName, name);
        File.WriteAllText(path, content);
        return path;
    }

    private RunningRotator StartDaemon(string identity, string config, string kubeconfig) =>
        RotatorProcess.Start(new Dictionary<string, string?> { ["POD_NAME"] = identity },
            "daemon", "--config", config, "--kubeconfig", kubeconfig, "--port", "0", "--lease-namespace", "kube-system");

    [Fact]
    public async Task Daemon_LeaderSigterm_ReleasesLeaseAndStandbyWritesWithinSeconds()
    {
        // Arrange
        WriteFile("password.txt", "pw-lease-release");
        var config = WriteFile("config.yaml", """
            registries: [{name: hub, type: static, server: registry.example.com, username: robot, password: {file: password.txt}}]
            secrets: [{name: regcred, registries: [hub], namespaces: {names: ["team-*"]}}]
            """);
        var kubeconfig = WriteFile("kubeconfig", $$$"""
            apiVersion: v1
            kind: Config
            clusters: [{name: fake, cluster: {server: "{{{_api.Url.ToString().TrimEnd('/')}}}"}}]
            users: [{name: fake, user: {token: lease-token}}]
            contexts: [{name: fake, context: {cluster: fake, user: fake}}]
            current-context: fake
            """);
        await using var a = StartDaemon("daemon-a", config, kubeconfig);
        await WaitUntilAsync(() => _api.GetSecret("team-a", "regcred") is not null, "daemon-a leads and writes");
        await using var b = StartDaemon("daemon-b", config, kubeconfig);
        await b.WaitForStderrAsync(s => s.Contains("Leader is daemon-a", StringComparison.Ordinal), Deadline, "daemon-b stands by");

        // Act: SIGTERM the leader, then a namespace only a new leader can serve.
        await a.TerminateAsync();
        var stopped = TimeProvider.System.GetTimestamp();
        var exitCode = await a.WaitForExitAsync(Deadline);
        var released = _api.GetLease("kube-system", "secret-rotator")!;
        _api.AddNamespace("team-after-rollout");
        await WaitUntilAsync(() => _api.GetSecret("team-after-rollout", "regcred") is not null, "daemon-b took over");
        var takeOver = TimeProvider.System.GetElapsedTime(stopped);

        // Assert
        TestContext.Current.TestOutputHelper?.WriteLine($"take-over {takeOver.TotalMilliseconds:F0} ms after SIGTERM");
        Assert.True(exitCode == 0, a.ToString());
        Assert.True(string.IsNullOrEmpty(released.Spec.HolderIdentity) || released.Spec.HolderIdentity == "daemon-b",
            $"the lease still names {released.Spec.HolderIdentity}");
        Assert.Contains("released the lease", a.Stderr, StringComparison.Ordinal);
        Assert.True(takeOver < TakeOver, $"daemon-b wrote {takeOver.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture)} s after the SIGTERM\n{b}");
        Assert.Equal("daemon-b", _api.GetLease("kube-system", "secret-rotator")!.Spec.HolderIdentity);
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var started = TimeProvider.System.GetTimestamp();
        while (!condition())
        {
            if (TimeProvider.System.GetElapsedTime(started) > Deadline) throw new Xunit.Sdk.XunitException($"not within {Deadline}: {what}");
            await Task.Delay(20, Ct);
        }
    }
}
