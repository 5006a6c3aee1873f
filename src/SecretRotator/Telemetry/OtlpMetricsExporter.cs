using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace SecretRotator.Telemetry;

/// <summary>
/// OTLP export of the "SecretRotator" meter, on only when OTEL_EXPORTER_OTLP_ENDPOINT (or the metrics-specific
/// OTEL_EXPORTER_OTLP_METRICS_ENDPOINT) is set. Everything else comes from the standard OTEL_* variables, read by the
/// OpenTelemetry SDK itself from <paramref name="configuration"/> (protocol, headers, timeout, export interval,
/// OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES). <see cref="FlushAsync"/> exports at the end of a run.
/// </summary>
public sealed class OtlpMetricsExporter : IDisposable
{
    private readonly MeterProvider? _provider;

    public OtlpMetricsExporter(IConfiguration configuration, ILogger<OtlpMetricsExporter> logger)
    {
        var endpoint = configuration["OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"] ?? configuration["OTEL_EXPORTER_OTLP_ENDPOINT"];
        if (string.IsNullOrWhiteSpace(endpoint)) return;

        var builder = Sdk.CreateMeterProviderBuilder()
            // The SDK reads OTEL_* from the IConfiguration in its own container; hand it ours (env vars in production).
            .ConfigureServices(services => services.AddSingleton(configuration))
            .AddMeter(RotatorMetrics.MeterName)
            .AddOtlpExporter();
        if (string.IsNullOrWhiteSpace(configuration["OTEL_SERVICE_NAME"]))
            builder.ConfigureResource(resource => resource.AddService("secret-rotator"));
        _provider = builder.Build();
        TelemetryLog.OtlpEnabled(logger, Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) ? TelemetryLog.Redact(uri) : "(unparsable endpoint)");
    }

    public bool Enabled => _provider is not null;

    /// <summary>Exports everything recorded so far; false when the export did not finish within <paramref name="timeout"/>.</summary>
    public Task<bool> FlushAsync(TimeSpan timeout, CancellationToken ct)
    {
        if (_provider is null) return Task.FromResult(true);
        var provider = _provider;
        // ForceFlush blocks until the exporter returns (bounded by the timeout); keep it off the caller's thread.
        return Task.Run(() => provider.ForceFlush((int)Math.Ceiling(timeout.TotalMilliseconds)), ct);
    }

    public void Dispose() => _provider?.Dispose();
}
