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
    private readonly ConcurrentDictionary<string, DateTimeOffset> _plannedFetch = new(StringComparer.Ordinal);

    public static JobKey JobKey(string registry) => new(registry, "registries");
    public static TriggerKey TriggerKey(string registry) => new(registry, "registries");

    /// <summary>
    /// A job fire either fetches (the planned fetch time has come, nothing valid is cached, or <paramref name="fetch"/> asks
    /// for it) or only re-checks every secret of the registry against the cached credential (a resync). Either way the
    /// trigger then moves to the planned fetch or the next resync, whichever is sooner (<see cref="RefreshPlanner.NextFire"/>),
    /// so a registry whose token lives 12 hours still has its secrets confirmed, and its last-success time advanced,
    /// every <c>staticRefreshInterval</c>, the same contract as a `run` that carries a still-valid token over.
    /// </summary>
    /// <returns>Whether the registry's credential is usable: fetched now, or cached and not yet due.</returns>
    public async Task<bool> RefreshAsync(string registry, bool fanOut, bool fetch, CancellationToken cancellationToken)
    {
        var gate = _locks.GetOrAdd(registry, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        try
        {
            var now = time.GetUtcNow();
            if (!fetch && _plannedFetch.TryGetValue(registry, out var planned) && now < planned && cache.Valid(registry) is not null)
            {
                await ScheduleAsync(registry, _planner.NextFire(now, planned), cancellationToken);
                LogResync(logger, registry, planned);
                if (fanOut && await FanOutAsync(registry, cancellationToken)) metrics.LastSuccess(registry, now);
                return true;
            }

            var definition = config.Registry(registry);
            var (credential, result) = await fetcher.FetchOneAsync(definition, config.Settings.Verify, cancellationToken);
            var ok = credential is not null;
            if (ok) cache.Store(registry, credential!);
            var failures = ok ? 0 : _failures.AddOrUpdate(registry, 1, (_, n) => n + 1);
            if (ok) _failures[registry] = 0;
            now = time.GetUtcNow();
            var next = _planner.Next(now, new FetchOutcome(ok, ok ? credential!.ExpiresAt : cache.ExpiresAt(registry), failures), definition.Schedule, Random.Shared.NextDouble());
            _plannedFetch[registry] = next;
            await ScheduleAsync(registry, _planner.NextFire(now, next), cancellationToken);
            LogPlanned(logger, registry, ok ? "fetched" : $"failed ({result.Reason})", next);
            if (ok && fanOut && await FanOutAsync(registry, cancellationToken)) metrics.LastSuccess(registry, now);
            return ok;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>
    /// After the daemon's first full pass: every registry with a usable credential none of whose (secret, namespace)
    /// pairs failed has just been confirmed, so its last-success time is now (not only at its next fetch, hours away).
    /// </summary>
    public void RecordPass(IEnumerable<TargetResult> results, DateTimeOffset now)
    {
        var failedSecrets = results.Where(r => r.Outcome.IsFailure()).Select(r => r.Secret).ToHashSet(StringComparer.Ordinal);
        foreach (var registry in config.Registries.Select(r => r.Name))
        {
            if (cache.Valid(registry) is null) continue;
            if (config.Secrets.Any(t => failedSecrets.Contains(t.Name) && t.Registries.Contains(registry))) continue;
            metrics.LastSuccess(registry, now);
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

    [LoggerMessage(EventId = 5303, Level = LogLevel.Debug, Message = "Registry {Registry}: resync from the cached credential; next fetch at {Next:o}")]
    private static partial void LogResync(ILogger logger, string registry, DateTimeOffset next);

    [LoggerMessage(EventId = 5301, Level = LogLevel.Information, Message = "Registry {Registry} {Outcome}; next fetch at {Next:o}")]
    private static partial void LogPlanned(ILogger logger, string registry, string outcome, DateTimeOffset next);
}
