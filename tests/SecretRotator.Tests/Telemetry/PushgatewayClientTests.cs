using System.Net;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using SecretRotator.Telemetry;
using SecretRotator.Tests.Fakes.Telemetry;
using SecretRotator.Tests.TestSupport;

namespace SecretRotator.Tests.Telemetry;

public sealed class PushgatewayClientTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Plan_RunWithTwoRegistries_PutsRunGroupAndPostsGaugesPerRegistry()
    {
        await using var host = new TelemetryHost();
        host.RecordRun(Now, "ghcr", "prod-ecr");
        var families = host.Collector.Collect();

        var groups = PushgatewayClient.Plan(families, "cluster-1");

        Assert.Equal(3, groups.Count);
        Assert.Equal(HttpMethod.Put, groups[0].Method);
        Assert.Equal("job=secret-rotator,instance=cluster-1", groups[0].ToString());
        Assert.DoesNotContain(groups[0].Families, f => MetricNames.PerRegistryGauges.Contains(f.Name));
        Assert.Contains(groups[0].Families, f => f.Name == "secret_rotator_run_duration_seconds");
        Assert.Equal(["job=secret-rotator,instance=cluster-1,registry=ghcr", "job=secret-rotator,instance=cluster-1,registry=prod-ecr"],
            groups.Skip(1).Select(g => g.ToString()));
        Assert.All(groups.Skip(1), g => Assert.Equal(HttpMethod.Post, g.Method));
        Assert.All(groups[1].Families.SelectMany(f => f.Samples), s => Assert.Equal("ghcr", s.Label("registry")));
        Assert.Equal([MetricNames.LastSuccess, MetricNames.TokenExpiry], groups[1].Families.Select(f => f.Name));
    }

    [Fact]
    public async Task Plan_RegistryFailedThisRun_HasNoGroupSoItsOldGaugesStay()
    {
        await using var host = new TelemetryHost();
        host.RecordRun(Now, "ghcr");
        host.Metrics.TokenRequest("prod-ecr", TokenOutcomes.Failure);

        var groups = PushgatewayClient.Plan(host.Collector.Collect(), null);

        Assert.Equal(["job=secret-rotator", "job=secret-rotator,registry=ghcr"], groups.Select(g => g.ToString()));
    }

    [Theory]
    [InlineData("http://pgw:9091", "cluster-1", "http://pgw:9091/metrics/job/secret-rotator/instance/cluster-1")]
    [InlineData("http://pgw:9091/prefix/", "eu/west", "http://pgw:9091/prefix/metrics/job/secret-rotator/instance@base64/ZXUvd2VzdA==")]
    [InlineData("https://bot:s3cret@pgw/", "", "https://pgw/metrics/job/secret-rotator/instance@base64/=")]
    public void GroupUri_Values_AreEncodedUnderTheGatewayPath(string gateway, string instance, string expected)
    {
        var uri = PushgatewayClient.GroupUri(new Uri(gateway), [new("job", "secret-rotator"), new("instance", instance)]);

        Assert.Equal(expected, uri.ToString());
    }

    [Fact]
    public async Task PublishAsync_GatewayUrlWithUserInfo_SendsBasicAuthAndNeverLogsThePassword()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var gateway = await FakeHttpReceiver.StartAsync(ct);
        await using var host = new TelemetryHost();
        host.RecordRun(Now, "ghcr");
        var url = new UriBuilder(gateway.Address) { UserName = "push-bot", Password = "pa55-word-xyz" }.Uri;

        await host.Publisher.PublishAsync(TelemetryHost.Config(url, "cluster-1"), ct);

        var requests = gateway.Requests.ToList();
        Assert.Equal(["PUT /metrics/job/secret-rotator/instance/cluster-1", "POST /metrics/job/secret-rotator/instance/cluster-1/registry/ghcr"],
            requests.Select(r => $"{r.Method} {r.Path}"));
        Assert.All(requests, r => Assert.Equal("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("push-bot:pa55-word-xyz")), r.Authorization));
        Assert.All(requests, r => Assert.Equal("text/plain; version=0.0.4; charset=utf-8", r.ContentType));
        Assert.Contains("secret_rotator_run_duration_seconds_count 1", Encoding.UTF8.GetString(requests[0].Body), StringComparison.Ordinal);
        var logs = host.Logs.GetSnapshot();
        Assert.Contains(logs, l => l.Id.Id == 3000);
        Assert.All(logs, l => Assert.DoesNotContain("pa55-word-xyz", l.Message + l.Exception, StringComparison.Ordinal));
    }

    [Fact]
    public async Task PublishAsync_GatewayRejects_LogsWarningAndReturnsNormally()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var gateway = await FakeHttpReceiver.StartAsync(ct);
        gateway.Status = HttpStatusCode.BadRequest;
        await using var host = new TelemetryHost();
        host.RecordRun(Now, "ghcr");

        await host.Publisher.PublishAsync(TelemetryHost.Config(gateway.Address), ct);

        var rejected = host.Logs.GetSnapshot().Where(l => l.Id.Id == 3002).ToList();
        Assert.Equal(2, rejected.Count);
        Assert.Contains("HTTP 400", rejected[0].Message, StringComparison.Ordinal);
        Assert.DoesNotContain(host.Logs.GetSnapshot(), l => l.Id.Id == 3000);
    }

    [Fact]
    public async Task PublishAsync_GatewayUnreachable_LogsWarningAndReturnsNormally()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = new TelemetryHost();
        host.RecordRun(Now, "ghcr");
        var closedPort = LoopbackHost.FreePort();

        await host.Publisher.PublishAsync(TelemetryHost.Config(new Uri($"http://127.0.0.1:{closedPort}/")), ct);

        var failed = Assert.Single(host.Logs.GetSnapshot(), l => l.Id.Id == 3001);
        Assert.IsType<HttpRequestException>(failed.Exception);
    }

    [Fact]
    public async Task PublishAsync_GatewayNeverAnswers_GivesUpAtThePushTimeout()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var gateway = await FakeHttpReceiver.StartAsync(ct);
        gateway.Status = null; // hold every request open
        var time = new FakeTimeProvider(Now);
        await using var host = new TelemetryHost(time: time, pushTimeout: TimeSpan.FromSeconds(10));
        host.RecordRun(Now, "ghcr");

        var publish = host.Publisher.PublishAsync(TelemetryHost.Config(gateway.Address), ct);
        await gateway.FirstRequest.Task.WaitAsync(ct);
        Assert.False(publish.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(10));
        await publish.WaitAsync(ct);

        var timedOut = Assert.Single(host.Logs.GetSnapshot(), l => l.Id.Id == 3003);
        Assert.Contains("00:00:10", timedOut.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PublishAsync_CallerCancels_Throws()
    {
        await using var gateway = await FakeHttpReceiver.StartAsync(TestContext.Current.CancellationToken);
        gateway.Status = null;
        await using var host = new TelemetryHost();
        host.RecordRun(Now, "ghcr");
        using var cts = new CancellationTokenSource();

        var publish = host.Publisher.PublishAsync(TelemetryHost.Config(gateway.Address), cts.Token);
        await gateway.FirstRequest.Task.WaitAsync(TestContext.Current.CancellationToken);
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => publish);
    }

    [Fact]
    public async Task PublishAsync_NoPushgatewayConfigured_SendsNothing()
    {
        await using var host = new TelemetryHost();
        host.RecordRun(Now, "ghcr");

        await host.Publisher.PublishAsync(TelemetryHost.Config(null), TestContext.Current.CancellationToken);

        Assert.Contains(host.Logs.GetSnapshot(), l => l.Id.Id == 3007);
        Assert.DoesNotContain(host.Logs.GetSnapshot(), l => l.Id.Id is 3000 or 3001 or 3002 or 3003);
    }
}
