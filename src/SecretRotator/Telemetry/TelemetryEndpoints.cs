using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace SecretRotator.Telemetry;

public static class TelemetryEndpoints
{
    /// <summary>
    /// Maps GET /metrics (Prometheus text format) and GET /healthz (200 when every registered health check is healthy,
    /// 503 otherwise). <paramref name="services"/> is the container that holds the rotator's telemetry; by default the
    /// endpoint builder's own (a daemon that hosts everything in one WebApplication).
    /// </summary>
    public static IEndpointRouteBuilder MapSecretRotatorTelemetry(this IEndpointRouteBuilder endpoints, IServiceProvider? services = null)
    {
        services ??= endpoints.ServiceProvider;
        var collector = services.GetRequiredService<MetricsCollector>();
        var health = services.GetRequiredService<HealthCheckService>();

        endpoints.MapGet("/metrics", () => Results.Text(PrometheusText.Write(collector.Collect()), PrometheusText.ContentType));
        endpoints.MapGet("/healthz", async (CancellationToken ct) =>
        {
            var report = await health.CheckHealthAsync(ct);
            return report.Status == HealthStatus.Healthy
                ? Results.Text("ok\n")
                : Results.Text($"{report.Status}\n", statusCode: StatusCodes.Status503ServiceUnavailable);
        });
        return endpoints;
    }
}
