using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Quartz;
using SecretRotator.Configuration;
using SecretRotator.Kubernetes.Watching;

namespace SecretRotator.Scheduling;

/// <summary>
/// /healthz: unhealthy when the election loop or a watch loop has ended, a watch loop has made no progress for
/// <see cref="DaemonOptions.StuckAfter"/>, or the scheduler is down or has a registry fetch overdue. A standby is healthy.
/// </summary>
public sealed class DaemonHealthCheck(
    DaemonStatus status,
    Leadership leadership,
    WatchHealth watches,
    ISchedulerFactory schedulers,
    RotatorConfig config,
    IOptions<DaemonOptions> options,
    TimeProvider time) : IHealthCheck
{
    /// <summary>A trigger this far past its fire time has not been picked up: the scheduler is stuck.</summary>
    private static readonly TimeSpan Overdue = TimeSpan.FromMinutes(2);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (status.Fault is { } fault) return HealthCheckResult.Unhealthy(fault);
        if (!status.ElectionRunning) return HealthCheckResult.Unhealthy("leader election loop is not running");
        var scheduler = await schedulers.GetScheduler(cancellationToken);
        if (scheduler.Status != SchedulerStatus.Running) return HealthCheckResult.Unhealthy("scheduler is not running");
        if (!leadership.IsLeader) return HealthCheckResult.Healthy("standby");
        if (watches.Stuck(options.Value.StuckAfter) is { Count: > 0 } stuck)
            return HealthCheckResult.Unhealthy($"watch of {string.Join(", ", stuck)} made no progress for {Duration.Format(options.Value.StuckAfter)}");
        var now = time.GetUtcNow();
        foreach (var registry in config.Registries)
        {
            if (await scheduler.GetTrigger(RegistryRefresher.TriggerKey(registry.Name), cancellationToken) is { } trigger
                && trigger.NextFireTimeUtc is { } next && now - next > Overdue)
                return HealthCheckResult.Unhealthy($"scheduler: fetch of registry {registry.Name} overdue since {next:o}");
        }
        return HealthCheckResult.Healthy();
    }
}
