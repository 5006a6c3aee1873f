using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using SecretRotator.Rotation;

namespace SecretRotator.Telemetry;

public static class TelemetryServiceCollectionExtensions
{
    /// <summary>
    /// Registers metrics end to end: <see cref="RotatorMetrics"/>, the collector behind /metrics and the Pushgateway push,
    /// OTLP export (when OTEL_EXPORTER_OTLP_ENDPOINT is set), <see cref="IMetricsPublisher"/>, <see cref="MetricsServer"/>
    /// and health checks. OTEL_* settings come from environment variables (see <see cref="OtelConfiguration"/>).
    /// </summary>
    public static IServiceCollection AddSecretRotatorTelemetry(this IServiceCollection services, Action<TelemetryOptions>? configure = null)
    {
        services.AddMetrics();
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<TelemetryOptions>();
        if (configure is not null) services.Configure(configure);

        services.TryAddSingleton<MetricsCollector>();
        services.TryAddSingleton(sp => new OtlpMetricsExporter(
            OtelConfiguration(sp.GetService<IConfiguration>()), sp.GetRequiredService<ILogger<OtlpMetricsExporter>>()));
        // The listeners must exist before the first measurement, so building RotatorMetrics builds them first.
        services.Replace(ServiceDescriptor.Singleton(sp =>
        {
            sp.GetRequiredService<MetricsCollector>();
            sp.GetRequiredService<OtlpMetricsExporter>();
            return new RotatorMetrics(sp.GetRequiredService<IMeterFactory>());
        }));

        services.TryAddSingleton<RunRecorder>();
        services.TryAddSingleton<IRunObserver>(sp => sp.GetRequiredService<RunRecorder>());

        services.AddHttpClient(PushgatewayClient.HttpClientName);
        services.TryAddSingleton<PushgatewayClient>();
        services.TryAddSingleton<IMetricsPublisher, MetricsPublisher>();
        services.TryAddSingleton<MetricsServer>();
        services.AddHealthChecks();
        return services;
    }

    /// <summary>
    /// Where OTEL_* settings are read: the process environment (the standard; the CLI's own IConfiguration only sees
    /// SECRET_ROTATOR_-prefixed variables), overridden by the registered IConfiguration when there is one.
    /// </summary>
    internal static IConfiguration OtelConfiguration(IConfiguration? registered)
    {
        var builder = new ConfigurationBuilder().AddEnvironmentVariables();
        if (registered is not null) builder.AddConfiguration(registered);
        return builder.Build();
    }
}
