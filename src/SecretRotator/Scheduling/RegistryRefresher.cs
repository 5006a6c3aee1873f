using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Quartz;
using SecretRotator.Configuration;
using SecretRotator.Rotation;

namespace SecretRotator.Scheduling;

/// <summary>
/// Fetches one registry's credential into the <see cref="CredentialCache"/>, plans its next fetch with the
/// <see cref="RefreshPlanner"/> and moves its Quartz trigger there, then runs the full pass (<see cref="DaemonPass"/>), which
/// hands the credential to every (secret, namespace) that is due for it. Called by <see cref="RegistryRefreshJob"/> and once
/// per registry when leadership starts.
/// </summary>
public sealed partial class RegistryRefresher(
    RotatorConfig config,
    CredentialFetcher fetcher,
    CredentialCache cache,
    DaemonPass pass,
    Leadership leadership,
    ISchedulerFactory schedulers,
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
    /// for it) or only resyncs from the cached credential. Either way the trigger then moves to the planned fetch or the
    /// next resync, whichever is sooner (<see cref="RefreshPlanner.NextFire"/>), and with <paramref name="fullPass"/> the
    /// full pass follows, after a failed fetch too: its failures are counted again and its last-success time stays, the same
    /// contract as a `run`. A registry whose token lives 12 hours still has its secrets confirmed every
    /// <c>staticRefreshInterval</c>.
    /// </summary>
    /// <returns>Whether the registry's credential is usable: fetched now, or cached and not yet due.</returns>
    public async Task<bool> RefreshAsync(string registry, bool fullPass, bool fetch, CancellationToken cancellationToken)
    {
        bool ok;
        var gate = _locks.GetOrAdd(registry, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        try
        {
            ok = await FetchOrResyncAsync(registry, fetch, cancellationToken);
        }
        finally
        {
            gate.Release();
        }
        if (fullPass) await pass.RunAsync($"registry {registry}", leadership.Token, cancellationToken);
        return ok;
    }

    private async Task<bool> FetchOrResyncAsync(string registry, bool fetch, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (!fetch && _plannedFetch.TryGetValue(registry, out var planned) && now < planned && cache.Valid(registry) is not null)
        {
            await ScheduleAsync(registry, _planner.NextFire(now, planned), cancellationToken);
            LogResync(logger, registry, planned);
            return true;
        }

        var definition = config.Registry(registry);
        var (credential, result) = await fetcher.FetchOneAsync(definition, config.Settings.Verify, cancellationToken);
        var ok = credential is not null;
        if (ok) cache.Store(registry, credential!);
        else cache.Failed(result);
        var failures = ok ? 0 : _failures.AddOrUpdate(registry, 1, (_, n) => n + 1);
        if (ok) _failures[registry] = 0;
        now = time.GetUtcNow();
        var next = _planner.Next(now, new FetchOutcome(ok, ok ? credential!.ExpiresAt : cache.ExpiresAt(registry), failures), definition.Schedule, Random.Shared.NextDouble());
        _plannedFetch[registry] = next;
        await ScheduleAsync(registry, _planner.NextFire(now, next), cancellationToken);
        LogPlanned(logger, registry, ok ? "fetched" : $"failed ({result.Reason})", next);
        return ok;
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
