using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Quartz;
using SecretRotator.Configuration;
using SecretRotator.Rotation;
using SecretRotator.Telemetry;

namespace SecretRotator.Scheduling;

/// <summary>
/// Fetches one registry's credential into the <see cref="CredentialCache"/>, plans its next fetch with the
/// <see cref="RefreshPlanner"/> and moves its Quartz trigger there, then fans the credential out to every
/// (secret, namespace) that uses it. Called by <see cref="RegistryRefreshJob"/> and once per registry when leadership starts.
/// </summary>
public sealed partial class RegistryRefresher(
    RotatorConfig config,
    CredentialFetcher fetcher,
    CredentialCache cache,
    ClusterState state,
    TargetReconciler reconciler,
    Leadership leadership,
    ISchedulerFactory schedulers,
    RotatorMetrics metrics,
    TimeProvider time,
    ILogger<RegistryRefresher> logger)
{
    private readonly RefreshPlanner _planner = new(config.Settings.RefreshBefore, config.Settings.StaticRefreshInterval);
    private readonly ConcurrentDictionary<string, int> _failures = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _locks = new(StringComparer.Ordinal);

    public static JobKey JobKey(string registry) => new(registry, "registries");
    public static TriggerKey TriggerKey(string registry) => new(registry, "registries");

    /// <returns>Whether the fetch succeeded.</returns>
    public async Task<bool> RefreshAsync(string registry, bool fanOut, CancellationToken cancellationToken)
    {
        var gate = _locks.GetOrAdd(registry, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        try
        {
            var definition = config.Registry(registry);
            var (credential, result) = await fetcher.FetchOneAsync(definition, config.Settings.Verify, cancellationToken);
            var ok = credential is not null;
            if (ok) cache.Store(registry, credential!);
            var failures = ok ? 0 : _failures.AddOrUpdate(registry, 1, (_, n) => n + 1);
            if (ok) _failures[registry] = 0;
            var now = time.GetUtcNow();
            var next = _planner.Next(now, new FetchOutcome(ok, ok ? credential!.ExpiresAt : cache.ExpiresAt(registry), failures), definition.Schedule, Random.Shared.NextDouble());
            await ScheduleAsync(registry, next, cancellationToken);
            LogPlanned(logger, registry, ok ? "fetched" : $"failed ({result.Reason})", next);
            if (ok && fanOut && await FanOutAsync(registry, cancellationToken)) metrics.LastSuccess(registry, now);
            return ok;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Reconciles every selected (secret, namespace) using the registry; true when none failed.</summary>
    private async Task<bool> FanOutAsync(string registry, CancellationToken cancellationToken)
    {
        var keys = state.AllKeys().Where(k => config.Secrets.First(t => t.Name == k.Secret).Registries.Contains(registry)).ToList();
        var failed = 0;
        await Parallel.ForEachAsync(keys, new ParallelOptions { MaxDegreeOfParallelism = config.Settings.Concurrency, CancellationToken = cancellationToken },
            async (key, ct) =>
            {
                if (await reconciler.ReconcileAsync(key, leadership.Token) is { } result && result.Outcome.IsFailure()) Interlocked.Increment(ref failed);
            });
        return failed == 0;
    }

    private async Task ScheduleAsync(string registry, DateTimeOffset next, CancellationToken cancellationToken)
    {
        var scheduler = await schedulers.GetScheduler(cancellationToken);
        var trigger = TriggerBuilder.Create(time)
            .WithIdentity(TriggerKey(registry))
            .ForJob(JobKey(registry))
            .StartAt(next)
            // A fire missed while the process was paused or the node suspended runs as soon as the scheduler notices.
            .WithSimpleSchedule(s => s.WithMisfireInstruction(SimpleTriggerMisfireInstruction.FireNow))
            .Build();
        await scheduler.ScheduleJob(trigger, ScheduleJobOptions.Replacing, cancellationToken);
    }

    [LoggerMessage(EventId = 5301, Level = LogLevel.Information, Message = "Registry {Registry} {Outcome}; next fetch at {Next:o}")]
    private static partial void LogPlanned(ILogger logger, string registry, string outcome, DateTimeOffset next);
}
