using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using SecretRotator.Telemetry;
using SecretRotator.Tests.Fakes.Telemetry;
using SecretRotator.Tests.TestSupport;

namespace SecretRotator.Tests.Telemetry;

public sealed class MetricsEndpointTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Scrape_AfterEveryInstrumentRecorded_ExposesExactlyTheContractNames()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = new TelemetryHost();
        host.RecordRun(Now, "ghcr");
        await using var server = host.Services.GetRequiredService<MetricsServer>();
        var address = await server.StartAsync(new IPEndPoint(IPAddress.Loopback, 0), ct);

        using var http = new HttpClient();
        using var response = await http.GetAsync(new Uri(address, "/metrics"), ct);
        var text = await response.Content.ReadAsStringAsync(ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        Assert.Equal(new Dictionary<string, string>
        {
            ["secret_rotator_secret_writes_total"] = "counter",
            ["secret_rotator_secret_failures_total"] = "counter",
            ["secret_rotator_token_requests_total"] = "counter",
            ["secret_rotator_token_expiry_timestamp_seconds"] = "gauge",
            ["secret_rotator_last_success_timestamp_seconds"] = "gauge",
            ["secret_rotator_run_duration_seconds"] = "histogram",
        }.OrderBy(t => t.Key), Exposition.Types(text).OrderBy(t => t.Key));
        Assert.Equal(MetricNames.Exported.Order(), Exposition.Types(text).Keys.Order());

        var samples = Exposition.Parse(text);
        Assert.Equal(1, Exposition.Single(samples, "secret_rotator_secret_writes_total", ("secret", "regcred"), ("outcome", "created")).Value);
        Assert.Equal(1, Exposition.Single(samples, "secret_rotator_secret_failures_total", ("secret", "regcred"), ("namespace", "team-a"), ("reason", "forbidden")).Value);
        Assert.Equal(1, Exposition.Single(samples, "secret_rotator_token_requests_total", ("registry", "ghcr"), ("outcome", "success")).Value);
        Assert.Equal(Now.AddHours(12).ToUnixTimeSeconds(), Exposition.Single(samples, "secret_rotator_token_expiry_timestamp_seconds", ("registry", "ghcr")).Value);
        Assert.Equal(Now.ToUnixTimeSeconds(), Exposition.Single(samples, "secret_rotator_last_success_timestamp_seconds", ("registry", "ghcr")).Value);
        Assert.Equal(0, Exposition.Single(samples, "secret_rotator_run_duration_seconds_bucket", ("le", "1")).Value);
        Assert.Equal(1, Exposition.Single(samples, "secret_rotator_run_duration_seconds_bucket", ("le", "2.5")).Value);
        Assert.Equal(1, Exposition.Single(samples, "secret_rotator_run_duration_seconds_bucket", ("le", "+Inf")).Value);
        Assert.Equal(1.5, Exposition.Single(samples, "secret_rotator_run_duration_seconds_sum").Value);
        Assert.Equal(1, Exposition.Single(samples, "secret_rotator_run_duration_seconds_count").Value);
        // Only our families: no otel_scope_* labels, no target_info, no unit suffix added twice.
        Assert.All(samples, s => Assert.StartsWith("secret_rotator_", s.Name));
        Assert.All(samples, s => Assert.DoesNotContain(s.Labels.Keys, k => k.StartsWith("otel_", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Healthz_AllChecksHealthy_Returns200()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = new TelemetryHost();
        await using var server = host.Services.GetRequiredService<MetricsServer>();
        var address = await server.StartAsync(new IPEndPoint(IPAddress.Loopback, 0), ct);

        using var http = new HttpClient();
        using var response = await http.GetAsync(new Uri(address, "/healthz"), ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task StartAsync_PortOnly_ListensOnAllInterfacesIncludingLoopback()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = new TelemetryHost();
        host.Metrics.TokenRequest("ghcr", TokenOutcomes.Success);
        await using var server = host.Services.GetRequiredService<MetricsServer>();
        var port = LoopbackHost.FreePort();

        var address = await server.StartAsync(port, ct);

        Assert.Equal(port, address.Port);
        using var http = new HttpClient();
        var text = await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/metrics"), ct);
        Assert.Contains("secret_rotator_token_requests_total{outcome=\"success\",registry=\"ghcr\"} 1", text, StringComparison.Ordinal);
        await Assert.ThrowsAsync<InvalidOperationException>(() => server.StartAsync(port, ct));
    }

    [Fact]
    public async Task Healthz_ACheckUnhealthy_Returns503()
    {
        var ct = TestContext.Current.CancellationToken;
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSecretRotatorTelemetry();
        services.AddHealthChecks().AddCheck("scheduler", () => HealthCheckResult.Unhealthy("stopped"));
        await using var provider = services.BuildServiceProvider();
        await using var server = provider.GetRequiredService<MetricsServer>();
        var address = await server.StartAsync(new IPEndPoint(IPAddress.Loopback, 0), ct);

        using var http = new HttpClient();
        using var response = await http.GetAsync(new Uri(address, "/healthz"), ct);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
    }

    [Fact]
    public async Task Collect_TwoContainersInOneProcess_EachSeesOnlyItsOwnSeries()
    {
        await using var first = new TelemetryHost();
        await using var second = new TelemetryHost();
        first.Metrics.TokenRequest("only-in-first", TokenOutcomes.Success);
        second.Metrics.TokenRequest("only-in-second", TokenOutcomes.Failure);

        var firstText = PrometheusText.Write(first.Collector.Collect());

        Assert.Contains("only-in-first", firstText, StringComparison.Ordinal);
        Assert.DoesNotContain("only-in-second", firstText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Counters_RecordedTwice_Accumulate()
    {
        await using var host = new TelemetryHost();
        host.Metrics.SecretWrite("regcred", WriteOutcomes.Updated);
        host.Metrics.SecretWrite("regcred", WriteOutcomes.Updated);
        host.Metrics.SecretWrite("regcred", WriteOutcomes.Unchanged);

        var samples = Exposition.Parse(PrometheusText.Write(host.Collector.Collect()));

        Assert.Equal(2, Exposition.Single(samples, "secret_rotator_secret_writes_total", ("outcome", "updated")).Value);
        Assert.Equal(1, Exposition.Single(samples, "secret_rotator_secret_writes_total", ("outcome", "unchanged")).Value);
    }

    [Theory]
    [InlineData("ok")]
    [InlineData("Created")]
    public async Task SecretWrite_OutcomeOutsideTheClosedSet_Throws(string outcome)
    {
        await using var host = new TelemetryHost();

        Assert.Throws<ArgumentOutOfRangeException>(() => host.Metrics.SecretWrite("regcred", outcome));
        Assert.Throws<ArgumentOutOfRangeException>(() => host.Metrics.TokenRequest("ghcr", outcome));
    }

    [Fact]
    public void Write_LabelValueWithQuoteBackslashAndNewline_IsEscaped()
    {
        MetricFamily family = new("x", MetricType.Gauge, "help\nline", [new MetricSample("x", [new("a", "q\"b\\n\n")], 1)]);

        var text = PrometheusText.Write([family]);

        Assert.Equal("# HELP x help\\nline\n# TYPE x gauge\nx{a=\"q\\\"b\\\\n\\n\"} 1\n", text);
    }

}
