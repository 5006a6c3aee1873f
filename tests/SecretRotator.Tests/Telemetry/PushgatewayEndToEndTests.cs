using System.Text.Json;
using SecretRotator.Tests.Fakes.Telemetry;

namespace SecretRotator.Tests.Telemetry;

/// <summary>Pushes to a real prometheus-pushgateway and has a real Prometheus scrape it.</summary>
public sealed class PushgatewayEndToEndTests
{
    private static readonly DateTimeOffset FirstRun = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset SecondRun = FirstRun.AddMinutes(30);

    [Fact]
    public async Task PublishAsync_RealPushgateway_SeriesReadBackFromItsMetrics()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var gateway = await ServerProcess.StartPushgatewayAsync(ct);
        await using (var run = new TelemetryHost())
        {
            run.RecordRun(FirstRun, "ghcr", "prod-ecr");
            await run.Publisher.PublishAsync(TelemetryHost.Config(gateway.Address, "cluster-1"), ct);
            Assert.Contains(run.Logs.GetSnapshot(), l => l.Id.Id == 3000);
        }

        var samples = await ScrapeAsync(gateway, ct);

        (string, string)[] run1 = [("job", "secret-rotator"), ("instance", "cluster-1")];
        Assert.Equal(1, Exposition.Single(samples, "secret_rotator_secret_writes_total", [.. run1, ("secret", "regcred"), ("outcome", "created")]).Value);
        Assert.Equal(1, Exposition.Single(samples, "secret_rotator_secret_failures_total", [.. run1, ("namespace", "team-a"), ("reason", "forbidden")]).Value);
        Assert.Equal(1, Exposition.Single(samples, "secret_rotator_token_requests_total", [.. run1, ("registry", "prod-ecr"), ("outcome", "success")]).Value);
        Assert.Equal(1, Exposition.Single(samples, "secret_rotator_run_duration_seconds_count", run1).Value);
        Assert.Equal(FirstRun.ToUnixTimeSeconds(), Exposition.Single(samples, "secret_rotator_last_success_timestamp_seconds", [.. run1, ("registry", "ghcr")]).Value);
        Assert.Equal(FirstRun.AddHours(12).ToUnixTimeSeconds(), Exposition.Single(samples, "secret_rotator_token_expiry_timestamp_seconds", [.. run1, ("registry", "prod-ecr")]).Value);
    }

    [Fact]
    public async Task PublishAsync_RunWhereARegistryFailed_KeepsThatRegistrysLastSuccessAndReplacesTheRunCounters()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var gateway = await ServerProcess.StartPushgatewayAsync(ct);
        var config = TelemetryHost.Config(gateway.Address, "cluster-1");
        await using (var run = new TelemetryHost())
        {
            run.RecordRun(FirstRun, "ghcr", "prod-ecr");
            await run.Publisher.PublishAsync(config, ct);
        }

        // Second CronJob run, a new process: ghcr succeeds, prod-ecr's token request fails.
        await using (var run = new TelemetryHost())
        {
            run.Metrics.SecretWrite("regcred", "unchanged");
            run.Metrics.TokenRequest("ghcr", "success");
            run.Metrics.TokenExpiry("ghcr", SecondRun.AddHours(12));
            run.Metrics.LastSuccess("ghcr", SecondRun);
            run.Metrics.TokenRequest("prod-ecr", "failure");
            run.Metrics.SecretFailure("regcred", "team-a", "unauthorized");
            run.Metrics.RunDuration(TimeSpan.FromSeconds(3));
            await run.Publisher.PublishAsync(config, ct);
        }

        var samples = await ScrapeAsync(gateway, ct);

        Assert.Equal(SecondRun.ToUnixTimeSeconds(), Exposition.Single(samples, "secret_rotator_last_success_timestamp_seconds", ("registry", "ghcr")).Value);
        Assert.Equal(FirstRun.ToUnixTimeSeconds(), Exposition.Single(samples, "secret_rotator_last_success_timestamp_seconds", ("registry", "prod-ecr")).Value);
        Assert.Equal(FirstRun.AddHours(12).ToUnixTimeSeconds(), Exposition.Single(samples, "secret_rotator_token_expiry_timestamp_seconds", ("registry", "prod-ecr")).Value);
        // The run group was replaced: counters describe the second run only.
        Assert.DoesNotContain(samples, s => s.Name == "secret_rotator_secret_writes_total" && s.Labels["outcome"] == "created");
        Assert.Equal(1, Exposition.Single(samples, "secret_rotator_secret_failures_total", ("reason", "unauthorized")).Value);
        Assert.DoesNotContain(samples, s => s.Name == "secret_rotator_secret_failures_total" && s.Labels["reason"] == "forbidden");
        Assert.Equal(3, Exposition.Single(samples, "secret_rotator_run_duration_seconds_sum").Value);
    }

    [Fact]
    public async Task RealPrometheus_ScrapingThePushgateway_QueryReturnsPushedSeries()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var gateway = await ServerProcess.StartPushgatewayAsync(ct);
        await using (var run = new TelemetryHost())
        {
            run.RecordRun(FirstRun, "ghcr");
            await run.Publisher.PublishAsync(TelemetryHost.Config(gateway.Address), ct);
        }
        await using var prometheus = await ServerProcess.StartPrometheusAsync(gateway.Address, ct);
        using var http = new HttpClient { BaseAddress = prometheus.Address };
        var query = "api/v1/query?query=" + Uri.EscapeDataString("secret_rotator_last_success_timestamp_seconds");

        JsonElement result = default;
        var targets = "";
        await Poll.UntilAsync(async () =>
        {
            using var json = JsonDocument.Parse(await http.GetStringAsync(query, ct));
            result = json.RootElement.GetProperty("data").GetProperty("result").Clone();
            targets = await http.GetStringAsync("api/v1/targets", ct);
            return result.GetArrayLength() > 0;
        }, TimeSpan.FromSeconds(60), () => $"Prometheus did not return the pushed series; targets: {targets}\n{prometheus.Output}", ct);

        var series = Assert.Single(result.EnumerateArray());
        var labels = series.GetProperty("metric");
        Assert.Equal("secret_rotator_last_success_timestamp_seconds", labels.GetProperty("__name__").GetString());
        Assert.Equal("secret-rotator", labels.GetProperty("job").GetString()); // honor_labels keeps the pushed job
        Assert.Equal("ghcr", labels.GetProperty("registry").GetString());
        Assert.False(labels.TryGetProperty("instance", out _), "an empty pushed instance must not become the Pushgateway's address");
        Assert.Equal(FirstRun.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture), series.GetProperty("value")[1].GetString());
    }

    private static async Task<IReadOnlyList<Exposition.Sample>> ScrapeAsync(ServerProcess gateway, CancellationToken ct)
    {
        using var http = new HttpClient();
        var text = await http.GetStringAsync(new Uri(gateway.Address, "metrics"), ct);
        return Exposition.Parse(text).Where(s => s.Name.StartsWith("secret_rotator_", StringComparison.Ordinal)).ToList();
    }
}
