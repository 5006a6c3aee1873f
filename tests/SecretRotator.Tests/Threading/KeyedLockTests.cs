using SecretRotator.Threading;

namespace SecretRotator.Tests.Threading;

/// <summary>Ordering is asserted through task completion, never through sleeps.</summary>
public sealed class KeyedLockTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AcquireAsync_SameKeyHeld_WaitsUntilReleasedWhileOtherKeyProceeds()
    {
        var locks = new KeyedLock<string>();
        var first = await locks.AcquireAsync("a", Ct);

        var second = locks.AcquireAsync("a", Ct);
        var other = locks.AcquireAsync("b", Ct);

        Assert.True(other.IsCompletedSuccessfully);
        Assert.False(second.IsCompleted);
        first.Dispose();
        (await second.WaitAsync(Bound, Ct)).Dispose();
        (await other).Dispose();
    }

    [Fact]
    public async Task Dispose_LastHolder_RemovesTheEntry()
    {
        var locks = new KeyedLock<(string, string)>();
        var held = await locks.AcquireAsync(("ns", "default"), Ct);
        Assert.Equal(1, locks.Count);

        held.Dispose();
        held.Dispose(); // a second dispose is harmless

        Assert.Equal(0, locks.Count);
    }

    [Fact]
    public async Task Dispose_WhileAnotherWaits_KeepsTheEntryAndExclusion()
    {
        var locks = new KeyedLock<string>();
        var first = await locks.AcquireAsync("a", Ct);
        var second = locks.AcquireAsync("a", Ct);

        first.Dispose();
        var secondHeld = await second.WaitAsync(Bound, Ct);
        var third = locks.AcquireAsync("a", Ct);

        // Had the entry been dropped when the first holder left, the third would get a fresh semaphore and run at once.
        Assert.Equal(1, locks.Count);
        Assert.False(third.IsCompleted);
        secondHeld.Dispose();
        (await third.WaitAsync(Bound, Ct)).Dispose();
        Assert.Equal(0, locks.Count);
    }

    [Fact]
    public async Task AcquireAsync_CancelledWhileWaiting_LeavesNoEntryAfterHolderReleases()
    {
        var locks = new KeyedLock<string>();
        var held = await locks.AcquireAsync("a", Ct);
        using var cancel = new CancellationTokenSource();
        var waiting = locks.AcquireAsync("a", cancel.Token);

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        Assert.Equal(1, locks.Count);
        held.Dispose();
        Assert.Equal(0, locks.Count);
    }

    [Fact]
    public async Task AcquireAsync_ManyConcurrentUsers_NeverOverlapAndLeaveNothing()
    {
        var locks = new KeyedLock<int>();
        var inside = new int[4];
        var overlaps = 0;

        await Task.WhenAll(Enumerable.Range(0, 400).Select(i => Task.Run(async () =>
        {
            using (await locks.AcquireAsync(i % 4, Ct))
            {
                if (Interlocked.Increment(ref inside[i % 4]) != 1) Interlocked.Increment(ref overlaps);
                await Task.Yield();
                Interlocked.Decrement(ref inside[i % 4]);
            }
        }, Ct))).WaitAsync(Bound, Ct);

        Assert.Equal(0, overlaps);
        Assert.Equal(0, locks.Count);
    }
}
