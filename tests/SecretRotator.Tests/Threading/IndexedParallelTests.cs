using SecretRotator.Threading;

namespace SecretRotator.Tests.Threading;

/// <summary>Concurrency is observed through gates the test opens, never through sleeps.</summary>
public sealed class IndexedParallelTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(0, 4)]
    [InlineData(1, 16)]
    [InlineData(1000, 16)]
    [InlineData(7, 1)]
    public async Task ForEachAsync_SynchronousBodies_EveryIndexOnceAndDoneOnReturn(int count, int concurrency)
    {
        var seen = new int[count];

        var run = IndexedParallel.ForEachAsync(count, concurrency, i =>
        {
            Interlocked.Increment(ref seen[i]);
            return ValueTask.CompletedTask;
        });

        Assert.True(run.IsCompletedSuccessfully); // nothing waited: no worker left the calling thread
        await run;
        Assert.All(seen, n => Assert.Equal(1, n));
    }

    [Fact]
    public async Task ForEachAsync_BodiesWaiting_AtMostConcurrencyAtOnceThenTheRest()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var running = 0;
        var peak = 0;
        var done = 0;

        var run = IndexedParallel.ForEachAsync(10, 3, async _ =>
        {
            var now = Interlocked.Increment(ref running);
            InterlockedMax(ref peak, now);
            await gate.Task;
            Interlocked.Decrement(ref running);
            Interlocked.Increment(ref done);
        });

        Assert.Equal(3, Volatile.Read(ref running)); // three started, each waiting on the gate
        Assert.False(run.IsCompleted);
        gate.SetResult();
        await run.WaitAsync(Bound, Ct);
        Assert.Equal(10, done);
        Assert.Equal(3, peak);
    }

    [Fact]
    public async Task ForEachAsync_BodyThrows_OtherIndexesStillRunAndTheExceptionSurfaces()
    {
        var ran = 0;

        var run = IndexedParallel.ForEachAsync(5, 2, i =>
        {
            Interlocked.Increment(ref ran);
            return i == 1 ? throw new InvalidOperationException("boom") : ValueTask.CompletedTask;
        });

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => run.WaitAsync(Bound, Ct));
        Assert.Equal("boom", e.Message);
        Assert.Equal(5, ran);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }
}
