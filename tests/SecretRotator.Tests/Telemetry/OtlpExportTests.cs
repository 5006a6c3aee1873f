using System.Text;
using Microsoft.Extensions.DependencyInjection;
using SecretRotator.Telemetry;
using SecretRotator.Tests.Fakes.Telemetry;

namespace SecretRotator.Tests.Telemetry;

public sealed class OtlpExportTests
{
    [Fact]
    public async Task PublishAsync_OtlpEndpointConfigured_ExportsTheRunToTheCollector()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var collector = await FakeHttpReceiver.StartAsync(ct);
        await using var host = new TelemetryHost(new Dictionary<string, string?>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.Address.ToString().TrimEnd('/'),
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
        });
        host.Metrics.TokenRequest("otlp-only-registry", TokenOutcomes.Success);
        host.Metrics.LastSuccess("otlp-only-registry", DateTimeOffset.UnixEpoch.AddDays(1));
        host.Metrics.RunDuration(TimeSpan.FromSeconds(2));

        await host.Publisher.PublishAsync(TelemetryHost.Config(null), ct);

        var export = Assert.Single(collector.Requests, r => r.Path == "/v1/metrics");
        Assert.Equal("POST", export.Method);
        Assert.Equal("application/x-protobuf", export.ContentType);
        // Protobuf stores strings as UTF-8 bytes: the instrument names and our label value must be in the payload.
        var payload = Encoding.UTF8.GetString(export.Body);
        Assert.Contains(MetricNames.TokenRequests, payload, StringComparison.Ordinal);
        Assert.Contains(MetricNames.LastSuccess, payload, StringComparison.Ordinal);
        Assert.Contains(MetricNames.RunDuration, payload, StringComparison.Ordinal);
        Assert.Contains("otlp-only-registry", payload, StringComparison.Ordinal);
        Assert.Contains("secret-rotator", payload, StringComparison.Ordinal); // service.name resource attribute
        Assert.Contains(host.Logs.GetSnapshot(), l => l.Id.Id == 3004);
    }

    [Fact]
    public async Task OtlpMetricsExporter_NoOtlpEndpoint_IsDisabled()
    {
        await using var host = new TelemetryHost();
        _ = host.Metrics;

        var exporter = host.Services.GetRequiredService<OtlpMetricsExporter>();

        Assert.False(exporter.Enabled);
        Assert.DoesNotContain(host.Logs.GetSnapshot(), l => l.Id.Id == 3004);
    }
}
