using Microsoft.Extensions.Logging;
using SecretRotator.Configuration;
using SecretRotator.Rotation;

namespace SecretRotator.Scheduling;

/// <summary>
/// The daemon's full pass: <see cref="RotationRunner"/>'s pass (the one `run` makes), reading the watch caches instead of
/// LISTs and the credential cache instead of fetching. The first pass after gaining the lease, every registry refresh and
/// every resync call it, so each writes, patches service accounts, prunes and records exactly as `run` does. Passes run
/// one at a time.
/// </summary>
public sealed partial class DaemonPass(RotatorConfig config, RotationRunner runner, ClusterState state, CredentialCache credentials, ILogger<DaemonPass> logger)
    : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>
    /// The next pass is at most staticRefreshInterval away (every registry's job fires at least that often; the planner's
    /// minimum wait covers a late fire and the pass's own time), so a stored token expiring before then plus
    /// refreshBefore is replaced now, from the credential at hand: whatever the jitter did, a fresh token reaches every
    /// secret before the one it holds expires.
    /// </summary>
    public static TimeSpan LookAhead(RotatorSettings settings) => settings.StaticRefreshInterval + RefreshPlanner.MinimumWait;

    /// <param name="leader">Cancelled when the lease is lost: writes stop at once.</param>
    /// <param name="stopping">Shutdown (SIGTERM): no new write or prune starts; in-flight writes finish.</param>
    /// <returns>The pass's report; null before every watch has listed (the first pass follows then).</returns>
    public async Task<RunReport?> RunAsync(string trigger, CancellationToken leader, CancellationToken stopping)
    {
        if (!state.Synced) return null;
        using var either = CancellationTokenSource.CreateLinkedTokenSource(leader, stopping);
        await _gate.WaitAsync(either.Token);
        try
        {
            var options = new RunOptions { LookAhead = LookAhead(config.Settings) };
            var report = await runner.RunAsync(config, options, state.Snapshot(), credentials, either.Token, leader);
            LogPass(logger, trigger, report.Targets.Count, report.Targets.Count(t => t.Outcome.IsFailure()));
            return report;
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose() => _gate.Dispose();

    [LoggerMessage(EventId = 5403, Level = LogLevel.Debug, Message = "Full pass ({Trigger}): {Count} results, {Failed} failed")]
    private static partial void LogPass(ILogger logger, string trigger, int count, int failed);
}
