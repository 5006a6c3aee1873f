using System.Diagnostics;

namespace SecretRotator.Networking;

/// <summary>
/// Which HTTP requests a piece of work (one registry's fetch) still waits for, so that a deadline can name the
/// endpoint that hung. Every HttpClient request in the process, including those the AWS, Azure and Google SDKs send
/// through clients of their own, is an activity of the runtime's "System.Net.Http" source; one listener sees them
/// all, and a request belongs to the <see cref="RequestWatch"/> current in the async flow that sent it. The listener
/// exists only while some watch does (the fetch phase): the API writes that follow never pass through it.
/// </summary>
public static class OutboundRequests
{
    private const string HttpSource = "System.Net.Http";
    private static readonly AsyncLocal<RequestWatch?> Current = new();
    private static readonly Lock Gate = new();
    private static ActivityListener? _listener;
    private static int _watches;

    /// <summary>
    /// Watches the requests this async flow sends until disposed. A request still unanswered when
    /// <paramref name="deadline"/> is cancelled stays pending: the cancellation it causes is not an answer.
    /// </summary>
    public static RequestWatch Watch(CancellationToken deadline)
    {
        lock (Gate)
        {
            if (_watches++ == 0) _listener = Listen();
        }
        var previous = Current.Value;
        var watch = new RequestWatch(() =>
        {
            Current.Value = previous;
            Unwatch();
        }, deadline);
        Current.Value = watch;
        return watch;
    }

    private static void Unwatch()
    {
        lock (Gate)
        {
            if (--_watches > 0) return;
            _listener?.Dispose();
            _listener = null;
        }
    }

    private static ActivityListener Listen()
    {
        var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == HttpSource,
            // AllData: the handler sets url.full and the status tags only on activities that ask for all data.
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => Current.Value is null ? ActivitySamplingResult.None : ActivitySamplingResult.AllData,
            ActivityStarted = activity => Current.Value?.Started(activity),
            ActivityStopped = activity => RequestWatch.Of(activity)?.Stopped(activity),
        };
        ActivitySource.AddActivityListener(listener);
        return listener;
    }
}

/// <summary>The requests of one watched flow: those not yet answered, and the last answer (for a deadline hit between retries).</summary>
public sealed class RequestWatch : IDisposable
{
    private const string Property = "secret-rotator.request-watch";
    private readonly Action _end;
    private readonly CancellationToken _deadline;
    private readonly List<Activity> _pending = [];
    private (string Endpoint, string Outcome)? _lastAnswer;
    private int _disposed;

    internal RequestWatch(Action end, CancellationToken deadline)
    {
        _end = end;
        _deadline = deadline;
    }

    /// <summary>The endpoint of the oldest request still waiting for its response (or cut by the deadline), if any.</summary>
    public string? Unanswered
    {
        get
        {
            lock (_pending) return _pending.Count == 0 ? null : Endpoint(_pending[0]);
        }
    }

    /// <summary>The endpoint and outcome (<c>HTTP 503</c>, <c>connection_error</c>) of the last request that was answered or failed.</summary>
    public (string Endpoint, string Outcome)? LastAnswer
    {
        get
        {
            lock (_pending) return _lastAnswer;
        }
    }

    /// <summary>What a deadline of <paramref name="timeout"/> cut, named by endpoint (never by query or credentials).</summary>
    public string DescribeTimeout(TimeSpan timeout, string setting)
    {
        var limit = $"{Configuration.Duration.Format(timeout)} ({setting})";
        if (Unanswered is { } endpoint) return $"no answer from {endpoint} within {limit}";
        if (LastAnswer is { } last) return $"{setting} {Configuration.Duration.Format(timeout)} reached while retrying {last.Endpoint} (last answer: {last.Outcome})";
        return $"no answer within {limit}";
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0) _end();
    }

    internal static RequestWatch? Of(Activity activity) => activity.GetCustomProperty(Property) as RequestWatch;

    internal void Started(Activity activity)
    {
        activity.SetCustomProperty(Property, this);
        lock (_pending) _pending.Add(activity);
    }

    internal void Stopped(Activity activity)
    {
        // Stopped once the deadline has fired: the deadline's own cancellation ended it, so it counts as unanswered.
        if (_deadline.IsCancellationRequested) return;
        lock (_pending)
        {
            _pending.Remove(activity);
            _lastAnswer = (Endpoint(activity), Outcome(activity));
        }
    }

    /// <summary>Scheme, host, port and path: the query and any user info are dropped (they may carry credentials).</summary>
    private static string Endpoint(Activity activity)
    {
        if (activity.GetTagItem("url.full") is string url && Uri.TryCreate(url, UriKind.Absolute, out var uri))
            return $"{uri.Scheme}://{uri.Authority}{uri.AbsolutePath}";
        return $"{activity.GetTagItem("server.address")}:{activity.GetTagItem("server.port")}";
    }

    private static string Outcome(Activity activity) =>
        activity.GetTagItem("http.response.status_code") is { } status ? $"HTTP {status}"
        : activity.GetTagItem("error.type") as string ?? "no response";
}
