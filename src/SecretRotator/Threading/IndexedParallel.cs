namespace SecretRotator.Threading;

/// <summary>
/// Runs a body for every index below a count, at most <c>concurrency</c> at once. Unlike Parallel.ForEachAsync it
/// takes no lock per item: workers claim indexes with Interlocked. A body that completes synchronously (a
/// steady-state pass: nearly every secret unchanged) costs no allocation and no thread hop; ForEachAsync allocated
/// a semaphore waiter for every such item once its 16 workers contended for the enumerator.
/// </summary>
public static class IndexedParallel
{
    /// <summary>Workers start on the calling thread and run until their first asynchronous wait; bodies are expected
    /// not to throw (a body's exception fails its worker and surfaces from the returned task once all workers end).</summary>
    public static Task ForEachAsync(int count, int concurrency, Func<int, ValueTask> body)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfLessThan(concurrency, 1);
        var next = -1;
        var workers = new Task[Math.Min(concurrency, Math.Max(count, 1))];
        for (var w = 0; w < workers.Length; w++) workers[w] = WorkAsync();
        return Task.WhenAll(workers);

        async Task WorkAsync()
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count) await body(i);
        }
    }
}
