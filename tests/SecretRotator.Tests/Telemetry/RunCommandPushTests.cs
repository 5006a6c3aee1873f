using System.Net;
using System.Text;
using SecretRotator.Tests.Fakes.Telemetry;
using SecretRotator.Tests.TestSupport;

namespace SecretRotator.Tests.Telemetry;

/// <summary>The <c>run</c> command pushes its metrics at the end, and monitoring trouble never changes the exit code.</summary>
public sealed class RunCommandPushTests
{
    private static string Config(RotatorHarness h, Uri pushgateway)
    {
        h.WriteFile("p.txt", "pw");
        return h.WriteConfig($$"""
            registries:
              - name: hub
                type: static
                server: ghcr.io
                username: bot
                password: {file: p.txt}
            secrets:
              - name: regcred
                registries: [hub]
                namespaces: {names: [default]}
            metrics:
              pushgateway: {url: "{{pushgateway}}", instance: test-cluster}
            """);
    }

    [Fact]
    public async Task Run_PushgatewayConfigured_PushesTheRunsSeriesUnderJobAndInstance()
    {
        await using var gateway = await FakeHttpReceiver.StartAsync(TestContext.Current.CancellationToken);
        await using var h = await RotatorHarness.StartAsync("default");

        var result = await h.RunCliAsync("run", "--config", Config(h, gateway.Address));

        Assert.True(result.ExitCode == 0, result.ToString());
        var run = Assert.Single(gateway.Requests, r => r.Method == "PUT");
        Assert.Equal("/metrics/job/secret-rotator/instance/test-cluster", run.Path);
        var body = Encoding.UTF8.GetString(run.Body);
        Assert.Contains("secret_rotator_secret_writes_total{outcome=\"created\",secret=\"regcred\"} 1", body);
        Assert.Contains("secret_rotator_run_duration_seconds_count 1", body);
        // The registry's gauges go in their own group, so a later failed run cannot erase its last success.
        var registry = Assert.Single(gateway.Requests, r => r.Method == "POST");
        Assert.Equal("/metrics/job/secret-rotator/instance/test-cluster/registry/hub", registry.Path);
        Assert.Contains("secret_rotator_last_success_timestamp_seconds", Encoding.UTF8.GetString(registry.Body));
    }

    [Fact]
    public async Task Run_PushgatewayRejects_ExitCodeUnchangedAndFailureLogged()
    {
        await using var gateway = await FakeHttpReceiver.StartAsync(TestContext.Current.CancellationToken);
        gateway.Status = HttpStatusCode.InternalServerError;
        await using var h = await RotatorHarness.StartAsync("default");

        var result = await h.RunCliAsync("run", "--config", Config(h, gateway.Address));

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.NotEmpty(gateway.Requests);
        Assert.Contains("500", result.Logs);
    }

    [Fact]
    public async Task Run_DryRun_PushesNothing()
    {
        await using var gateway = await FakeHttpReceiver.StartAsync(TestContext.Current.CancellationToken);
        await using var h = await RotatorHarness.StartAsync("default");

        var result = await h.RunCliAsync("run", "--config", Config(h, gateway.Address), "--dry-run");

        Assert.Equal(0, result.ExitCode);
        Assert.Empty(gateway.Requests);
    }
    [Fact]
    public async Task Run_MetricsPort_ServesMetricsWhileTheRunIsInProgress()
    {
        await using var h = await RotatorHarness.StartAsync("default", "team-a");
        var port = LoopbackHost.FreePort();
        using var http = new HttpClient();
        string? scraped = null;
        h.Api.FaultHook = request =>
        {
            // Scrape once, from inside the run: the second create has not been answered yet.
            if (request.Verb == "create" && request.Namespace == "team-a" && scraped is null)
                scraped = http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/metrics")).GetAwaiter().GetResult();
            return null;
        };
        h.WriteFile("p.txt", "pw");
        var config = h.WriteConfig("""
            registries:
              - {name: hub, type: static, server: ghcr.io, username: bot, password: {file: p.txt}}
            secrets:
              - {name: regcred, registries: [hub], namespaces: {names: [default, team-a]}}
            settings: {concurrency: 1}
            """);

        var result = await h.RunCliAsync("run", "--config", config, "--metrics-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture));

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.NotNull(scraped);
        Assert.Contains("secret_rotator_token_requests_total{outcome=\"success\",registry=\"hub\"} 1", scraped);
        await Assert.ThrowsAsync<HttpRequestException>(() => http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/metrics"), TestContext.Current.CancellationToken));
    }
}
