using Microsoft.Extensions.Time.Testing;

namespace SecretRotator.Tests.TestSupport;

/// <summary>
/// A FakeTimeProvider on which every wait up to <paramref name="skipUpTo"/> (retry backoffs, Retry-After) is over as
/// soon as it starts: the clock jumps forward by the wait. Longer timers (per-try timeouts, the run deadline) only
/// fire once those jumps add up to them. A test can so replay a minute of API-server downtime in milliseconds.
/// </summary>
public sealed class BackoffSkippingTimeProvider(DateTimeOffset start, TimeSpan skipUpTo) : FakeTimeProvider(start)
{
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = base.CreateTimer(callback, state, dueTime, period);
        if (dueTime > TimeSpan.Zero && dueTime <= skipUpTo && period == Timeout.InfiniteTimeSpan) Advance(dueTime);
        return timer;
    }
}
