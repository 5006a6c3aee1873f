using Microsoft.Extensions.Time.Testing;
using SecretRotator.Configuration;
using SecretRotator.Scheduling;

namespace SecretRotator.Tests.Scheduling;

/// <summary>When a registry is fetched next: pure decisions, driven by a FakeTimeProvider's clock (no sleeps).</summary>
public sealed class RefreshPlannerTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero));
    private readonly RefreshPlanner _planner = new(refreshBefore: TimeSpan.FromHours(1), staticRefreshInterval: TimeSpan.FromMinutes(5));

    private DateTimeOffset Now => _time.GetUtcNow();

    [Fact]
    public void Next_TwelveHourEcrToken_FiresRefreshBeforeAheadOfExpiry()
    {
        var next = _planner.Next(Now, new FetchOutcome(true, Now.AddHours(12), 0), schedule: null, jitter: 0);

        Assert.Equal(Now.AddHours(11), next);
    }

    [Fact]
    public void NextFire_FetchHoursAway_ResyncsAfterStaticRefreshInterval()
    {
        var fire = _planner.NextFire(Now, nextFetch: Now.AddHours(11));

        Assert.Equal(Now.AddMinutes(5), fire);
    }

    [Fact]
    public void NextFire_FetchSoonerThanResync_FiresAtTheFetch()
    {
        var fire = _planner.NextFire(Now, nextFetch: Now.AddMinutes(2));

        Assert.Equal(Now.AddMinutes(2), fire);
    }

    [Fact]
    public void Next_WithJitter_FiresEarlierButNeverLater()
    {
        var plain = _planner.Next(Now, new FetchOutcome(true, Now.AddHours(12), 0), null, jitter: 0);
        var jittered = _planner.Next(Now, new FetchOutcome(true, Now.AddHours(12), 0), null, jitter: 0.99);

        Assert.InRange(jittered, plain - TimeSpan.FromMinutes(2), plain - TimeSpan.FromMinutes(1));
    }

    [Fact]
    public void Next_AcrSeventyFiveMinuteToken_FiresFifteenMinutesLater()
    {
        var next = _planner.Next(Now, new FetchOutcome(true, Now.AddMinutes(75), 0), null, 0);

        Assert.Equal(Now.AddMinutes(15), next);
    }

    [Fact]
    public void Next_TokenShorterThanRefreshBefore_FiresAtHalfLifeNotAtOnce()
    {
        var next = _planner.Next(Now, new FetchOutcome(true, Now.AddMinutes(40), 0), null, 0);

        Assert.Equal(Now.AddMinutes(20), next);
    }

    [Fact]
    public void Next_StaticCredential_FiresAfterStaticRefreshInterval()
    {
        var next = _planner.Next(Now, new FetchOutcome(true, null, 0), null, 0);

        Assert.Equal(Now.AddMinutes(5), next);
    }

    [Fact]
    public void Next_CronEarlierThanExpiry_FiresOnCron()
    {
        var (cron, _) = CronSchedule.Parse("30 12 * * *");

        var next = _planner.Next(Now, new FetchOutcome(true, Now.AddHours(12), 0), cron, 0);

        Assert.Equal(Now.AddMinutes(30), next);
    }

    [Fact]
    public void Next_CronLaterThanExpiry_FiresBeforeExpiry()
    {
        var (cron, _) = CronSchedule.Parse("0 0 1 * *"); // monthly

        var next = _planner.Next(Now, new FetchOutcome(true, Now.AddHours(3), 0), cron, 0);

        Assert.Equal(Now.AddHours(2), next);
    }

    [Fact]
    public void Next_RepeatedFailures_BackOffExponentiallyUpToTheCap()
    {
        var waits = Enumerable.Range(1, 8).Select(n => _planner.Next(Now, new FetchOutcome(false, null, n), null, 0) - Now).ToList();

        Assert.Equal([10, 20, 40, 80, 160, 300, 300, 300], waits.Select(w => w.TotalSeconds));
    }

    [Fact]
    public void Next_FailureCloseToExpiry_RetriesWellBeforeExpiry()
    {
        var expiry = Now.AddMinutes(4);
        var attempts = new List<DateTimeOffset>();
        // Fail again at each retry: every retry lands before the credential in use expires.
        for (var n = 1; n <= 5; n++)
        {
            var next = _planner.Next(_time.GetUtcNow(), new FetchOutcome(false, expiry, n), null, 0);
            attempts.Add(next);
            _time.SetUtcNow(next);
        }

        Assert.All(attempts, a => Assert.True(a < expiry, $"{a:o} is not before {expiry:o}"));
        Assert.True(attempts.Count(a => a < expiry.AddMinutes(-1)) >= 3);
    }

    [Fact]
    public void Next_ExpiredToken_NeverFiresSoonerThanMinimumWait()
    {
        var next = _planner.Next(Now, new FetchOutcome(true, Now.AddMinutes(-5), 0), null, 0);

        Assert.Equal(Now + RefreshPlanner.MinimumWait, next);
    }

    [Fact]
    public void Next_FailureIgnoresCron_RetriesOnBackoff()
    {
        var (cron, _) = CronSchedule.Parse("* * * * * ?"); // every second

        var next = _planner.Next(Now, new FetchOutcome(false, null, 1), cron, 0);

        Assert.Equal(Now.AddSeconds(10), next);
    }
}
