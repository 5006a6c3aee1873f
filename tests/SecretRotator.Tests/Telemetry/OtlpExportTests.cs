using System.Text;
using Microsoft.Extensions.Configuration;
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

    [Fact]
    public void OtelConfiguration_CliConfigurationWithoutThem_StillReadsProcessEnvironment()
    {
        // The CLI's IConfiguration only holds SECRET_ROTATOR_* variables; OTEL_* must still come from the environment.
        // PATH stands in for an OTEL_* variable: setting one here would leak into tests running in parallel.
        var cli = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Logging:LogLevel:Default"] = "Information" }).Build();

        var configuration = TelemetryServiceCollectionExtensions.OtelConfiguration(cli);

        Assert.Equal(Environment.GetEnvironmentVariable("PATH"), configuration["PATH"]);
        Assert.Equal("Information", configuration["Logging:LogLevel:Default"]);
    }

    [Fact]
    public void OtelConfiguration_RegisteredValue_OverridesTheEnvironment()
    {
        var registered = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["PATH"] = "/from/registered" }).Build();

        var configuration = TelemetryServiceCollectionExtensions.OtelConfiguration(registered);

        Assert.Equal("/from/registered", configuration["PATH"]);
    }
}
