using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SecretRotator.Configuration;

namespace SecretRotator.Telemetry;

/// <summary>Publishes the run's metrics before the process exits. Called once at the end of `run`.</summary>
public interface IMetricsPublisher
{
    /// <summary>
    /// Pushes to the Pushgateway (config metrics.pushgateway) and flushes OTLP (OTEL_EXPORTER_OTLP_ENDPOINT), each bounded
    /// by <see cref="TelemetryOptions.PushTimeout"/>. A failed or timed-out push is logged and returns normally: it must
    /// not change the run's exit code. Only cancellation of <paramref name="ct"/> throws.
    /// </summary>
    Task PublishAsync(RotatorConfig config, CancellationToken ct);
}

public sealed class TelemetryOptions
{
    /// <summary>Upper bound for the end-of-run push and the OTLP flush (they run concurrently).</summary>
    public TimeSpan PushTimeout { get; set; } = TimeSpan.FromSeconds(10);
}

public sealed class MetricsPublisher(
    MetricsCollector collector,
    PushgatewayClient pushgateway,
    OtlpMetricsExporter otlp,
    TimeProvider time,
    IOptions<TelemetryOptions> options,
    ILogger<MetricsPublisher> logger) : IMetricsPublisher
{
    public async Task PublishAsync(RotatorConfig config, CancellationToken ct)
    {
        var timeout = options.Value.PushTimeout;
        await Task.WhenAll(PushAsync(config.Metrics, timeout, ct), FlushOtlpAsync(timeout, ct));
    }

    private async Task PushAsync(MetricsSettings settings, TimeSpan timeout, CancellationToken ct)
    {
        if (settings.PushgatewayUrl is not { } gateway)
        {
            TelemetryLog.NoPushgateway(logger);
            return;
        }
        var endpoint = TelemetryLog.Redact(gateway);
        using var deadline = new CancellationTokenSource(timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, deadline.Token);
        try
        {
            // A rejection (4xx/5xx) is logged per group by the client; nothing more to do here.
            await pushgateway.PushAsync(gateway, settings.Instance, collector.Collect(), linked.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            TelemetryLog.PushTimedOut(logger, endpoint, timeout);
        }
        catch (HttpRequestException e)
        {
            TelemetryLog.PushFailed(logger, endpoint, e);
        }
    }

    private async Task FlushOtlpAsync(TimeSpan timeout, CancellationToken ct)
    {
        if (!otlp.Enabled) return;
        if (!await otlp.FlushAsync(timeout, ct)) TelemetryLog.OtlpFlushFailed(logger, timeout);
    }
}
