namespace SecretRotator.Threading;

/// <summary>
/// One async mutex per key, kept only while someone holds or awaits it: the entry is removed when its last user leaves,
/// so a daemon that sees namespaces come and go for weeks does not keep a semaphore for every one it ever touched.
/// </summary>
public sealed class KeyedLock<TKey>(IEqualityComparer<TKey>? comparer = null) where TKey : notnull
{
    private readonly Lock _gate = new();
    private readonly Dictionary<TKey, Entry> _entries = new(comparer);

    /// <summary>Keys with a holder or a waiter (for tests and diagnostics).</summary>
    public int Count
    {
        get { lock (_gate) { return _entries.Count; } }
    }

    /// <summary>Waits for the key's lock; dispose the result to release it. A cancelled wait leaves nothing behind.</summary>
    public async Task<IDisposable> AcquireAsync(TKey key, CancellationToken cancellationToken)
    {
        Entry entry;
        lock (_gate)
        {
            if (!_entries.TryGetValue(key, out entry!)) _entries[key] = entry = new Entry();
            entry.Users++; // counted before waiting, so the entry outlives the holder that is about to release it
        }
        try
        {
            await entry.Semaphore.WaitAsync(cancellationToken);
        }
        catch
        {
            Leave(key, entry, held: false);
            throw;
        }
        return new Holder(this, key, entry);
    }

    private void Leave(TKey key, Entry entry, bool held)
    {
        lock (_gate)
        {
            if (held) entry.Semaphore.Release();
            if (--entry.Users > 0) return;
            _entries.Remove(key);
            entry.Dispose(); // no holder and no waiter is left to touch it
        }
    }

    private sealed class Entry : IDisposable
    {
        public readonly SemaphoreSlim Semaphore = new(1, 1);
        public int Users;

        public void Dispose() => Semaphore.Dispose();
    }

    private sealed class Holder(KeyedLock<TKey> owner, TKey key, Entry entry) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) owner.Leave(key, entry, held: true);
        }
    }
}
