namespace SecretRotator.Tests.Fakes.Kubernetes;

/// <summary>A BOOKMARK the fake wrote: on which watch stream (numbered from 1 in opening order), for which resource, at which version.</summary>
public sealed record SentBookmark(int Stream, string Resource, long ResourceVersion);

/// <summary>
/// Bookmark settings and the record of bookmarks sent. The apiserver sends them about once a minute to watches that ask
/// with allowWatchBookmarks=true (it may also send none: they are a hint); tests shorten the interval.
/// </summary>
internal sealed class WatchBookmarks
{
    private readonly Lock _gate = new();
    private readonly List<SentBookmark> _sent = [];
    private int _streams;

    /// <summary>Null: never send bookmarks, as an apiserver may.</summary>
    public TimeSpan? Interval { get; set; } = TimeSpan.FromMinutes(1);

    public int StreamsOpened => Volatile.Read(ref _streams);

    public IReadOnlyList<SentBookmark> Sent
    {
        get { lock (_gate) { return [.. _sent]; } }
    }

    public int OpenStream() => Interlocked.Increment(ref _streams);

    public void Record(SentBookmark bookmark)
    {
        lock (_gate) { _sent.Add(bookmark); }
    }
}
