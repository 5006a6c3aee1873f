using Microsoft.Extensions.Logging;

namespace SecretRotator.Telemetry;

/// <summary>Telemetry log messages; event ids 3000-3099. Endpoints are logged without user info (no credentials).</summary>
internal static partial class TelemetryLog
{
    [LoggerMessage(EventId = 3000, Level = LogLevel.Information, Message = "Pushed metrics to Pushgateway {Endpoint} (groups: {Groups}, series: {Series})")]
    public static partial void Pushed(ILogger logger, string endpoint, int groups, int series);

    [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, Message = "Pushing metrics to Pushgateway {Endpoint} failed; the run's exit code is unchanged")]
    public static partial void PushFailed(ILogger logger, string endpoint, Exception exception);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "Pushgateway {Endpoint} rejected {Method} {Group} with HTTP {StatusCode}: {Body}")]
    public static partial void PushRejected(ILogger logger, string endpoint, string method, string group, int statusCode, string body);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Warning, Message = "Pushing metrics to Pushgateway {Endpoint} did not finish within {Timeout}; the run's exit code is unchanged")]
    public static partial void PushTimedOut(ILogger logger, string endpoint, TimeSpan timeout);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Information, Message = "Exporting metrics over OTLP to {Endpoint}")]
    public static partial void OtlpEnabled(ILogger logger, string endpoint);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Warning, Message = "OTLP metrics export did not complete within {Timeout}; the run's exit code is unchanged")]
    public static partial void OtlpFlushFailed(ILogger logger, TimeSpan timeout);

    [LoggerMessage(EventId = 3006, Level = LogLevel.Information, Message = "Serving /metrics and /healthz on {Address}")]
    public static partial void Serving(ILogger logger, string address);

    [LoggerMessage(EventId = 3007, Level = LogLevel.Debug, Message = "No Pushgateway configured (metrics.pushgateway.url); not pushing")]
    public static partial void NoPushgateway(ILogger logger);

    /// <summary>An endpoint as safe to log: scheme, host, port and path only.</summary>
    public static string Redact(Uri uri) => uri.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped);
}
