using System.Text.Json;
using System.Text.RegularExpressions;
using k8s.Models;
using SecretRotator.Tests.Chart;
using SecretRotator.Tests.Fakes.Kubernetes;
using SecretRotator.Tests.Fakes.Telemetry;
using SecretRotator.Tests.TestSupport;
using YamlDotNet.RepresentationModel;

namespace SecretRotator.Tests.Telemetry;

/// <summary>
/// Issue 22.3: a real Prometheus (the Debian package) evaluating the chart's rules every second scrapes a healthy daemon
/// and a healthy CronJob-style `run` through a real Pushgateway, both the shipped binary: no alert is even pending. Then
/// the registry breaks and the right alert fires naming the registry, the secret and the namespace (issue 23.4: scraped
/// with the rendered ServiceMonitor's honorLabels and the target labels discovery gives it), and every dashboard query
/// runs on that Prometheus. The rules are a copy with every <c>for:</c>
/// shortened to 1s (the real windows are covered in simulated time by promtool, see PrometheusRulesTests).
/// </summary>
public sealed partial class AlertsEndToEndTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task RealPrometheus_HealthyDaemonAndRun_NoAlertThenBrokenRegistryFiresRotationFailingNamingIt()
    {
        // Arrange: one fake cluster; the daemon serves regcred, the CronJob's `run` serves runcred and pushes.
        await using var h = await DaemonHarness.StartAsync("team-a", "team-b", "secret-rotator");
        h.Api.AddSecret(new V1Secret
        {
            Metadata = new() { Name = "hub-token", NamespaceProperty = "secret-rotator" },
            Data = new Dictionary<string, byte[]> { ["token"] = "hub-password"u8.ToArray() },
        });
        await using var gateway = await ServerProcess.StartPushgatewayAsync(Ct);
        const string Registry = """
            registries:
              - name: hub
                type: static
                server: registry.example.com
                username: robot
                password: {secret: {namespace: secret-rotator, name: hub-token, key: token}}
            """;
        var daemonConfig = h.WriteFile("daemon.yaml", Registry + """

            secrets:
              - name: regcred
                registries: [hub]
                namespaces: {names: ["team-*"]}
            settings: {staticRefreshInterval: 10s}
            """);
        var runConfig = h.WriteFile("run.yaml", Registry + $$"""

            secrets:
              - name: runcred
                registries: [hub]
                namespaces:
                  names: ["team-*"]
            metrics:
              pushgateway: {url: "{{gateway.Address}}", instance: cluster-1}
            """);
        var kubeconfig = h.WriteFile("kubeconfig", $$$"""
            apiVersion: v1
            kind: Config
            clusters: [{name: fake, cluster: {server: "{{{h.Api.Url.ToString().TrimEnd('/')}}}"}}]
            users: [{name: fake, user: {token: alerts-token}}]
            contexts: [{name: fake, context: {cluster: fake, user: fake}}]
            current-context: fake
            """);
        // The daemon as it ships (the AOT binary in CI): its /metrics is what the ServiceMonitor scrapes.
        await using var daemon = RotatorProcess.Start(new Dictionary<string, string?>(),
            "daemon", "--config", daemonConfig, "--kubeconfig", kubeconfig, "--port", "0", "--leader-elect", "false");
        var started = await daemon.WaitForStderrAsync(s => s.Contains("First full pass done", StringComparison.Ordinal), TimeSpan.FromSeconds(30), "the daemon's first pass");
        var daemonMetrics = new Uri($"http://127.0.0.1:{MetricsPort().Match(started).Groups[1].Value}/");
        var firstRun = await RunAsync(runConfig, kubeconfig);
        Assert.True(firstRun.ExitCode == 0, firstRun.ToString());
        var rules = ForShortened(await File.ReadAllTextAsync(Path.Combine(ExternalTool.RepoRoot(), "helm", "secret-rotator", "files", "prometheus-rules.yaml"), Ct));
        // Scraped as the chart's ServiceMonitor has it: discovery gives the daemon's target namespace="secret-rotator"
        // (the pod's), and the rendered honorLabels decides whether our series' own namespace label survives.
        var scrape = new ScrapeTarget("secret-rotator-daemon", daemonMetrics, await ServiceMonitorHonorLabelsAsync(),
            new Dictionary<string, string> { ["namespace"] = "secret-rotator", ["pod"] = "rotator-secret-rotator-0", ["service"] = "rotator-secret-rotator" });
        await using var prometheus = await ServerProcess.StartPrometheusAsync([new ScrapeTarget("pushgateway", gateway.Address), scrape], rules, Ct);
        using var http = new HttpClient { BaseAddress = prometheus.Address };

        // Act 1: both sources scraped, then several evaluations.
        await Poll.UntilAsync(async () => (await QueryAsync(http, "secret_rotator_run_duration_seconds_count")).Count == 2,
            TimeSpan.FromSeconds(20), () => $"both run_duration series scraped\n{prometheus.Output}", Ct);
        // Rules evaluated before the first scrape saw no series at all (SecretRotatorAbsent, as on any fresh Prometheus):
        // observe only evaluations that follow the scrape.
        var scraped = DateTimeOffset.UtcNow;
        await Poll.UntilAsync(async () => await LastEvaluationAsync(http) > scraped.AddSeconds(1), TimeSpan.FromSeconds(20),
            () => $"a rule evaluation after the scrape\n{prometheus.Output}", Ct);
        var healthy = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            healthy.AddRange((await QueryAsync(http, "ALERTS")).Select(Describe));
            await Task.Delay(1000, Ct); // one evaluation interval of the real Prometheus: observing another process, not a sleep as an assertion
        }

        // Act 2: the registry's password source disappears; a namespace created now has no stored copy to fall back on.
        h.Api.DeleteSecret("secret-rotator", "hub-token");
        h.Api.AddNamespace("team-new");
        // The daemon still holds the static credential it fetched, so it serves team-new; a namespace whose secret
        // create is forbidden gives it a per-namespace failure, the series whose namespace label honorLabels must keep.
        h.Api.Deny(RbacDenyRule.InNamespace("create", "secrets", "team-locked"));
        h.Api.AddNamespace("team-locked");
        var brokenRun = await RunAsync(runConfig, kubeconfig);
        IReadOnlyList<JsonElement> firing = [];
        await Poll.UntilAsync(async () =>
        {
            firing = await QueryAsync(http, "ALERTS{alertstate=\"firing\", alertname=\"SecretRotatorRotationFailing\"}");
            return firing.Any(a => Label(a, "job") == "secret-rotator-daemon" && Label(a, "registry") == "hub")
                && firing.Any(a => Label(a, "namespace") == "team-new" && Label(a, "secret") == "runcred")
                && firing.Any(a => Label(a, "job") == "secret-rotator-daemon" && Label(a, "namespace") == "team-locked");
        }, TimeSpan.FromSeconds(40), () => $"RotationFailing for the daemon's registry and run's secret; firing: {string.Join(", ", firing.Select(Describe))}\n{daemon}", Ct);
        var panels = await DashboardPanelsAsync(http);

        // Assert
        Assert.True(healthy.Count == 0, "alerts on a healthy install: " + string.Join("\n", healthy.Distinct()));
        Assert.Equal(1, brokenRun.ExitCode);
        Assert.Contains(firing, a => Label(a, "job") == "secret-rotator" && Label(a, "instance") == "cluster-1" && Label(a, "reason") == "registry_failed");
        Assert.DoesNotContain(firing, a => Label(a, "namespace") is "team-a" or "team-b");
        // honorLabels: the daemon's alert names the failing namespace, not the rotator's own (and nothing is renamed).
        Assert.Contains(firing, a => Label(a, "job") == "secret-rotator-daemon" && Label(a, "namespace") == "team-locked"
            && Label(a, "secret") == "regcred" && Label(a, "reason") == "forbidden");
        Assert.DoesNotContain(firing, a => Label(a, "exported_namespace") is not null || Label(a, "namespace") == "secret-rotator");
        // Every dashboard panel's query runs on the real Prometheus, and failures-by-namespace shows the failing namespace.
        Assert.All(panels, p => Assert.True(p.Error is null, $"{p.Title}: {p.Expr}: {p.Error}"));
        Assert.Contains(panels.Single(p => p.Title == "Failures by namespace").Series, m => Label(m, "namespace") == "team-locked");
        Assert.DoesNotContain(panels.SelectMany(p => p.Series), m => Label(m, "exported_namespace") is not null);
    }

    [GeneratedRegex(@"Serving /metrics[^\n]*http://[^\s,]*:(\d+)")]
    private static partial Regex MetricsPort();

    /// <summary>The ServiceMonitor endpoint's honorLabels, as `helm template` renders the daemon install.</summary>
    private static async Task<bool> ServiceMonitorHonorLabelsAsync()
    {
        var rendered = await HelmChart.TemplateAsync("daemon-values.yaml");
        var monitor = rendered.Custom("ServiceMonitor") ?? throw new Xunit.Sdk.XunitException("the daemon install renders no ServiceMonitor");
        var endpoint = (YamlMappingNode)((YamlSequenceNode)((YamlMappingNode)monitor.Node["spec"])["endpoints"]).Children.Single();
        return endpoint.Children.TryGetValue(new YamlScalarNode("honorLabels"), out var value) && value.ToString() == "true";
    }

    private sealed record Panel(string Title, string Expr, string? Error, IReadOnlyList<JsonElement> Series);

    /// <summary>Each query of the chart's Grafana dashboard, with its variables as Grafana would fill them, run on Prometheus.</summary>
    private static async Task<IReadOnlyList<Panel>> DashboardPanelsAsync(HttpClient http)
    {
        var path = Path.Combine(ExternalTool.RepoRoot(), "helm", "secret-rotator", "files", "grafana-dashboard.json");
        using var dashboard = JsonDocument.Parse(await File.ReadAllTextAsync(path, Ct));
        var panels = new List<Panel>();
        foreach (var panel in dashboard.RootElement.GetProperty("panels").EnumerateArray())
        {
            if (!panel.TryGetProperty("targets", out var targets)) continue;
            foreach (var target in targets.EnumerateArray())
            {
                var expr = target.GetProperty("expr").GetString()!;
                var query = expr.Replace("$registry", ".*", StringComparison.Ordinal).Replace("$__rate_interval", "1m", StringComparison.Ordinal);
                using var response = await http.GetAsync("api/v1/query?query=" + Uri.EscapeDataString(query), Ct);
                using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
                var error = json.RootElement.TryGetProperty("error", out var e) ? e.GetString() : null;
                IReadOnlyList<JsonElement> series = error is null
                    ? [.. json.RootElement.GetProperty("data").GetProperty("result").EnumerateArray().Select(r => r.Clone())]
                    : [];
                panels.Add(new Panel(panel.GetProperty("title").GetString()!, expr, error, series));
            }
        }
        return panels;
    }

    private static Task<CliResult> RunAsync(string config, string kubeconfig) =>
        RotatorProcess.RunAsync(new Dictionary<string, string?>(), "run", "--config", config, "--kubeconfig", kubeconfig);

    /// <summary>The chart's rules with every <c>for:</c> window at 1s, so that pending would turn firing within the test.</summary>
    private static string ForShortened(string rules) => ForWindow().Replace(rules, "for: 1s");

    [GeneratedRegex(@"for: \d+[smh]")]
    private static partial Regex ForWindow();

    private static async Task<IReadOnlyList<JsonElement>> QueryAsync(HttpClient http, string query)
    {
        using var json = JsonDocument.Parse(await http.GetStringAsync("api/v1/query?query=" + Uri.EscapeDataString(query), Ct));
        return [.. json.RootElement.GetProperty("data").GetProperty("result").EnumerateArray().Select(e => e.Clone())];
    }

    /// <summary>The rule group's last evaluation, from Prometheus' rules API.</summary>
    private static async Task<DateTimeOffset> LastEvaluationAsync(HttpClient http)
    {
        using var json = JsonDocument.Parse(await http.GetStringAsync("api/v1/rules", Ct));
        var groups = json.RootElement.GetProperty("data").GetProperty("groups");
        return groups.GetArrayLength() == 0 ? DateTimeOffset.MinValue
            : DateTimeOffset.Parse(groups[0].GetProperty("lastEvaluation").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
    }

    private static string? Label(JsonElement series, string name) =>
        series.GetProperty("metric").TryGetProperty(name, out var value) ? value.GetString() : null;

    private static string Describe(JsonElement series) => series.GetProperty("metric").ToString();
}
