using System.Diagnostics;
using System.Text;
using SecretRotator.Tests.TestSupport;

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
        // Debian defaults --persistence.file to /var/lib/prometheus/pushgateway.data: keep each test's gateway in memory.
        return StartAsync(tool, port => [$"--web.listen-address=127.0.0.1:{port}", "--persistence.file="], null, ct);
    }

    /// <summary>Prometheus scraping <paramref name="target"/> every second (honor_labels, as for a Pushgateway).</summary>
    public static Task<ServerProcess> StartPrometheusAsync(Uri target, CancellationToken ct) =>
        StartPrometheusAsync([("pushgateway", target)], rules: null, ct);

    /// <summary>
    /// Prometheus scraping each (job, target) every second with honor_labels (a Pushgateway's pushed job and instance, a
    /// daemon's namespace label, as the chart's ServiceMonitor does), evaluating <paramref name="rules"/> (YAML text) every second.
    /// </summary>
    public static Task<ServerProcess> StartPrometheusAsync(IReadOnlyList<(string Job, Uri Target)> targets, string? rules, CancellationToken ct) =>
        StartPrometheusAsync([.. targets.Select(t => new ScrapeTarget(t.Job, t.Target))], rules, ct);

    /// <summary>Prometheus scraping each target every second as it says, evaluating <paramref name="rules"/> (YAML text) every second.</summary>
    public static Task<ServerProcess> StartPrometheusAsync(IReadOnlyList<ScrapeTarget> targets, string? rules, CancellationToken ct)
    {
        var tool = ExternalTool.Require("prometheus");
        var dir = Directory.CreateTempSubdirectory("secret-rotator-prom-").FullName;
        var config = Path.Combine(dir, "prometheus.yml");
        if (rules is not null) File.WriteAllText(Path.Combine(dir, "rules.yaml"), rules);
        var jobs = string.Concat(targets.Select(t => $"""

              - job_name: {t.Job}
                honor_labels: {(t.HonorLabels ? "true" : "false")}
                static_configs:
                  - targets: ["{t.Target.Authority}"]
                    labels: {"{"}{string.Join(", ", (t.Labels ?? new Dictionary<string, string>()).Select(l => $"{l.Key}: \"{l.Value}\""))}{"}"}
            """));
        File.WriteAllText(config, $"""
            global:
              scrape_interval: 1s
              evaluation_interval: 1s
            {(rules is null ? "" : "rule_files: [rules.yaml]")}
            scrape_configs:{jobs}
            """);
        return StartAsync(tool, port => [
            $"--config.file={config}", $"--storage.tsdb.path={Path.Combine(dir, "data")}",
            $"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"], dir, ct);
    }

    /// <summary>Starts on a free port; a second try covers the port being taken between probing and binding.</summary>
    private static async Task<ServerProcess> StartAsync(string tool, Func<int, string[]> args, string? dir, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            var port = LoopbackHost.FreePort();
            var process = ExternalTool.Start(tool, args(port), dir ?? Path.GetTempPath(), out var output);
            var server = new ServerProcess(process, output, new Uri($"http://127.0.0.1:{port}/"), dir);
            try
            {
                if (await server.WaitReadyAsync(ct)) return server;
            }
            catch
            {
                await server.DisposeAsync();
                throw;
            }
            var exited = $"{tool} exited with {process.ExitCode}:\n{server.Output}";
            await server.DisposeProcessAsync();
            if (attempt == 2) Assert.Fail(exited);
        }
    }

    /// <summary>True once /-/ready answers 200; false if the process exited first.</summary>
    private async Task<bool> WaitReadyAsync(CancellationToken ct)
    {
        using var http = new HttpClient { BaseAddress = Address };
        var ready = false;
        await Poll.UntilAsync(async () =>
        {
            if (_process.HasExited) return true;
            try { ready = (await http.GetAsync("-/ready", ct)).IsSuccessStatusCode; }
            catch (HttpRequestException) { ready = false; } // not listening yet
            return ready;
        }, TimeSpan.FromSeconds(30), () => $"{_process.StartInfo.FileName} did not become ready:\n{Output}", ct);
        return ready;
    }

    private async Task DisposeProcessAsync()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        await DisposeProcessAsync();
        if (_tempDirectory is not null) Directory.Delete(_tempDirectory, recursive: true);
    }
}

/// <summary>
/// One scrape job. <paramref name="Labels"/> are target labels, as service discovery attaches them (a ServiceMonitor's
/// target carries the pod's <c>namespace</c>); <paramref name="HonorLabels"/> decides who wins when the scraped series has the same label.
/// </summary>
public sealed record ScrapeTarget(string Job, Uri Target, bool HonorLabels = true, IReadOnlyDictionary<string, string>? Labels = null);
