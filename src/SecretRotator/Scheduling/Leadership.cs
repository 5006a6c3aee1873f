namespace SecretRotator.Scheduling;

/// <summary>
/// Whether this replica currently leads, and the token that is cancelled the moment the lease is lost. Every write takes
/// this token, so a former leader stops writing at once.
/// </summary>
public sealed class Leadership
{
    private static readonly CancellationToken NotLeading = new(canceled: true);
    private CancellationTokenSource? _current;

    public bool IsLeader => _current is { IsCancellationRequested: false };

    /// <summary>A cancelled token while not leading.</summary>
    public CancellationToken Token => _current?.Token ?? NotLeading;

    public CancellationToken Start()
    {
        var next = new CancellationTokenSource();
        Interlocked.Exchange(ref _current, next)?.Cancel();
        return next.Token;
    }

    public void Stop() => _current?.Cancel();
}

/// <summary>What /healthz and /readyz report, set by the election loop and the leader's work.</summary>
public sealed class DaemonStatus
{
    private volatile string? _fault;

    private volatile bool _electionRunning;
    private volatile bool _firstPassDone;

    public bool ElectionRunning { get => _electionRunning; set => _electionRunning = value; }
    /// <summary>The leader's first full pass is done (or this replica is a standby, which is ready to take over).</summary>
    public bool FirstPassDone { get => _firstPassDone; set => _firstPassDone = value; }

    /// <summary>A loop that ended when it should not have; /healthz fails from then on.</summary>
    public string? Fault => _fault;

    public void Failed(string what) => _fault ??= what;
}
