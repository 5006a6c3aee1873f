using System.Collections.Concurrent;
using System.Threading.Channels;

namespace SecretRotator.Scheduling;

/// <summary>One (secret target, namespace) to bring to its desired state.</summary>
public readonly record struct ReconcileKey(string Secret, string Namespace);

/// <summary>
/// Work from watch events, coalesced: a key already waiting is not queued twice however many events arrive for it. So
/// the channel holds at most one entry per (secret, namespace) pair, which bounds it by the cluster; it needs no
/// capacity of its own. (It had one, 1,024: while the first pass ran, before any worker starts, its own writes' events
/// filled it and then blocked the watch loops, so the caches fell behind the pass and the next pass re-created secrets
/// that existed: a 409 and a GET each, seconds of CPU at 10,000 namespaces.)
/// </summary>
public sealed class ReconcileBacklog
{
    private readonly Channel<ReconcileKey> _channel = Channel.CreateUnbounded<ReconcileKey>(new UnboundedChannelOptions
    {
        SingleWriter = false,
        SingleReader = false,
    });
    private readonly ConcurrentDictionary<ReconcileKey, byte> _waiting = new();
    private int _inFlight;

    /// <summary>Keys waiting or being worked on.</summary>
    public long Depth => _waiting.Count + Volatile.Read(ref _inFlight);

    /// <summary>Queues the key unless it is already waiting; never waits (the queue is unbounded).</summary>
    public void Enqueue(ReconcileKey key)
    {
        if (_waiting.TryAdd(key, 0)) _channel.Writer.TryWrite(key); // else coalesced with the copy already waiting
    }

    /// <summary>Takes the next key; null when <paramref name="cancellationToken"/> is cancelled. Call <see cref="Done"/> after.</summary>
    public async ValueTask<ReconcileKey?> TakeAsync(CancellationToken cancellationToken)
    {
        try
        {
            var key = await _channel.Reader.ReadAsync(cancellationToken);
            Interlocked.Increment(ref _inFlight);
            // Removed before the work starts: an event arriving during the work queues the key again.
            _waiting.TryRemove(key, out _);
            return key;
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    public void Done() => Interlocked.Decrement(ref _inFlight);

    /// <summary>Forgets everything waiting (leadership lost: the next leader lists afresh).</summary>
    public void Clear()
    {
        while (_channel.Reader.TryRead(out _)) { }
        _waiting.Clear();
    }
}
