using System.Net;
using System.Net.Sockets;
using SecretRotator.Tests.Fakes.Kubernetes;
using SecretRotator.Tests.TestSupport;

namespace SecretRotator.Tests.Cli;

/// <summary>What an operator reads when the daemon starts, or cannot: our own lines, not the libraries'.</summary>
public sealed class DaemonStartupOutputTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("secret-rotator-startup-");
    private FakeKubeApiServer _api = null!;

    public async ValueTask InitializeAsync()
    {
        _api = await FakeKubeApiServer.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        _api.AddNamespace("team-a");
    }

    public async ValueTask DisposeAsync()
    {
        await _api.DisposeAsync();
        _dir.Delete(recursive: true);
    }

    private string[] DaemonArgs(int port)
    {
        File.WriteAllText(Path.Combine(_dir.FullName, "password.txt"), "pw-startup");
        var config = Path.Combine(_dir.FullName, "config.yaml");
        File.WriteAllText(config, """
            registries: [{name: hub, type: static, server: registry.example.com, username: robot, password: {file: password.txt}}]
            secrets: [{name: regcred, registries: [hub], namespaces: {names: ["team-*"]}}]
            """);
        var kubeconfig = Path.Combine(_dir.FullName, "kubeconfig");
        File.WriteAllText(kubeconfig, $$$"""
            apiVersion: v1
            kind: Config
            clusters: [{name: fake, cluster: {server: "{{{_api.Url.ToString().TrimEnd('/')}}}"}}]
            users: [{name: fake, user: {token: startup-token}}]
            contexts: [{name: fake, context: {cluster: fake, user: fake}}]
            current-context: fake
            """);
        return ["daemon", "--config", config, "--kubeconfig", kubeconfig, "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--leader-elect", "false"];
    }

    [Fact]
    public async Task Daemon_PortInUse_Exits2WithOneLineAndNoStackTrace()
    {
        // Arrange
        // What the daemon binds (every address, dual-stack), on a random free port.
        using var busy = new TcpListener(IPAddress.IPv6Any, 0);
        busy.Server.DualMode = true;
        busy.Start();
        var port = ((IPEndPoint)busy.LocalEndpoint).Port;

        // Act
        var result = await RotatorProcess.RunAsync(new Dictionary<string, string?>(), DaemonArgs(port));

        // Assert
        Assert.True(result.ExitCode == 2, result.ToString());
        // The error is one line; log lines of services that had started may stand beside it, but no stack trace.
        var lines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.StartsWith($"error: --port {port}: ", Assert.Single(lines, l => l.StartsWith("error:", StringComparison.Ordinal)), StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Daemon_Started_LogsItsOwnStartLineAndNoQuartzInternals()
    {
        // Arrange
        await using var daemon = RotatorProcess.Start(new Dictionary<string, string?>(), DaemonArgs(0));

        // Act
        await daemon.WaitForStderrAsync(s => s.Contains("First full pass done", StringComparison.Ordinal), Deadline, "the first pass is reported");
        await daemon.TerminateAsync();
        var exitCode = await daemon.WaitForExitAsync(Deadline);

        // Assert
        Assert.True(exitCode == 0, daemon.ToString());
        Assert.Contains("Serving /metrics", daemon.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Quartz", daemon.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("RAMJobStore", daemon.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("JobFactory", daemon.Stderr, StringComparison.Ordinal);
    }
}
