using Quartz;

namespace SecretRotator.Scheduling;

/// <summary>What the last fetch of a registry produced, as the planner needs it.</summary>
/// <param name="Succeeded">The fetch returned a credential.</param>
/// <param name="ExpiresAt">The credential's expiry (null: static, never expires). After a failure: the expiry of the
/// credential still in use, if any.</param>
/// <param name="ConsecutiveFailures">Failures since the last success (0 after a success).</param>
public sealed record FetchOutcome(bool Succeeded, DateTimeOffset? ExpiresAt, int ConsecutiveFailures);

/// <summary>
/// Decides when a registry is fetched next. Pure (no clock, no I/O): the caller passes now and a jitter source.
/// <list type="bullet">
/// <item>After a success: the earlier of the cron schedule and <c>expiry - refreshBefore</c>; static (never-expiring)
/// credentials every <c>staticRefreshInterval</c>. When the token lives shorter than refreshBefore, half its remaining life.</item>
/// <item>After a failure: exponential backoff from <see cref="RetryBase"/> to <see cref="RetryCap"/>, and never later than
/// half the remaining life of the credential still in use, so several retries happen well before it expires.</item>
/// <item>Jitter only ever moves a fire earlier (up to 10% of the wait, at most 2 minutes), so replicas and registries spread
/// out without risking expiry.</item>
/// </list>
/// </summary>
public sealed class RefreshPlanner(TimeSpan refreshBefore, TimeSpan staticRefreshInterval)
{
    public static readonly TimeSpan RetryBase = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan RetryCap = TimeSpan.FromMinutes(5);
    /// <summary>No decision is ever sooner than this: a token that is already expired cannot cause a busy loop.</summary>
    public static readonly TimeSpan MinimumWait = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan MaxJitter = TimeSpan.FromMinutes(2);

    /// <param name="jitter">A number in [0, 1): how far towards the maximum jitter to move the fire earlier.</param>
    public DateTimeOffset Next(DateTimeOffset now, FetchOutcome last, CronExpression? schedule, double jitter)
    {
        var wait = last.Succeeded ? AfterSuccess(now, last.ExpiresAt) : AfterFailure(now, last.ExpiresAt, last.ConsecutiveFailures);
        wait -= TimeSpan.FromTicks(Math.Min((long)(wait.Ticks * 0.1 * Math.Clamp(jitter, 0, 1)), MaxJitter.Ticks));
        var next = now + Max(wait, MinimumWait);
        if (last.Succeeded && schedule?.GetNextValidTimeAfter(now) is { } cron && cron < next) next = cron;
        return next;
    }

    /// <summary>
    /// When the registry's job fires next: the planned fetch, or sooner a resync of its secrets from the cached credential,
    /// so no registry goes longer than <c>staticRefreshInterval</c> without its secrets being checked (and its last-success
    /// time confirmed) even when its token lives for hours.
    /// </summary>
    public DateTimeOffset NextFire(DateTimeOffset now, DateTimeOffset nextFetch) => nextFetch < now + staticRefreshInterval ? nextFetch : now + staticRefreshInterval;

    private TimeSpan AfterSuccess(DateTimeOffset now, DateTimeOffset? expiresAt)
    {
        if (expiresAt is not { } expiry) return staticRefreshInterval;
        var due = expiry - refreshBefore - now;
        // A token shorter-lived than refreshBefore (e.g. 1h GCR tokens with refreshBefore 1h): refresh at half-life.
        return due > TimeSpan.Zero ? due : (expiry - now) / 2;
    }

    private static TimeSpan AfterFailure(DateTimeOffset now, DateTimeOffset? expiresAt, int failures)
    {
        var exponent = Math.Clamp(failures - 1, 0, 10);
        var backoff = Min(TimeSpan.FromTicks(RetryBase.Ticks << exponent), RetryCap);
        return expiresAt is { } expiry && expiry > now ? Min(backoff, (expiry - now) / 2) : backoff;
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
