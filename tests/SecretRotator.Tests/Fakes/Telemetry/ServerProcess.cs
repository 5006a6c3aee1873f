using System.Diagnostics;
using System.Text;

namespace SecretRotator.Tests.Fakes.Telemetry;

/// <summary>
/// A real prometheus / prometheus-pushgateway started by a test on a free loopback port, killed on dispose.
/// Readiness is polled on /-/ready with a deadline: that is waiting on another process, not a sleep.
/// </summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output;
    private readonly string? _tempDirectory;

    private ServerProcess(Process process, StringBuilder output, Uri address, string? tempDirectory)
    {
        _process = process;
        _output = output;
        Address = address;
        _tempDirectory = tempDirectory;
    }

    public Uri Address { get; }

    public string Output { get { lock (_output) return _output.ToString(); } }

    public static Task<ServerProcess> StartPushgatewayAsync(CancellationToken ct)
    {
        var tool = ExternalTool.Require("prometheus-pushgateway");
        var port = ExternalTool.FreePort();
        // Debian defaults --persistence.file to /var/lib/prometheus/pushgateway.data: keep each test's gateway in memory.
        return StartAsync(tool, [$"--web.listen-address=127.0.0.1:{port}", "--persistence.file="], port, null, ct);
    }

    /// <summary>Prometheus scraping <paramref name="target"/> every second (honor_labels, as for a Pushgateway).</summary>
    public static Task<ServerProcess> StartPrometheusAsync(Uri target, CancellationToken ct)
    {
        var tool = ExternalTool.Require("prometheus");
        var port = ExternalTool.FreePort();
        var dir = Directory.CreateTempSubdirectory("secret-rotator-prom-").FullName;
        var config = Path.Combine(dir, "prometheus.yml");
        File.WriteAllText(config, $"""
            global:
              scrape_interval: 1s
              evaluation_interval: 1s
            scrape_configs:
              - job_name: pushgateway
                honor_labels: true
                static_configs:
                  - targets: ["{target.Authority}"]
            """);
        return StartAsync(tool, [
            $"--config.file={config}", $"--storage.tsdb.path={Path.Combine(dir, "data")}",
            $"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"], port, dir, ct);
    }

    private static async Task<ServerProcess> StartAsync(string tool, string[] args, int port, string? dir, CancellationToken ct)
    {
        var process = ExternalTool.Start(tool, args, dir ?? Path.GetTempPath(), out var output);
        var server = new ServerProcess(process, output, new Uri($"http://127.0.0.1:{port}/"), dir);
        try
        {
            using var http = new HttpClient { BaseAddress = server.Address };
            await Poll.UntilAsync(async () =>
            {
                if (process.HasExited) Assert.Fail($"{tool} exited with {process.ExitCode}:\n{server.Output}");
                try { return (await http.GetAsync("-/ready", ct)).IsSuccessStatusCode; }
                catch (HttpRequestException) { return false; } // not listening yet
            }, TimeSpan.FromSeconds(30), () => $"{tool} did not become ready:\n{server.Output}", ct);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
        if (_tempDirectory is not null) Directory.Delete(_tempDirectory, recursive: true);
    }
}
