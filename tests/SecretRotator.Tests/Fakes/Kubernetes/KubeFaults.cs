using System.Globalization;

namespace SecretRotator.Tests.Fakes.Kubernetes;

/// <summary>What the fake decoded from a request: the RBAC attributes plus the raw method, path and query.</summary>
/// <param name="Verb">get, list, watch, create, update, patch, delete.</param>
/// <param name="Resource">Plural resource ("secrets"), or "" when the path is not a known resource.</param>
public sealed record KubeRequestInfo(string Method, string Path, string Query, string Verb, string Resource, string? Namespace, string? Name)
{
    public bool IsWrite => Verb is "create" or "update" or "patch" or "delete";
}

/// <summary>A failure the fake injects instead of (or, for latency, before) serving a request.</summary>
public abstract record KubeFault
{
    private KubeFault() { }

    /// <summary>Waits (inside the server), then serves the request normally.</summary>
    public sealed record Latency(TimeSpan Delay) : KubeFault;

    /// <summary>429 with a TooManyRequests Status and this Retry-After header value (seconds or an HTTP-date).</summary>
    public sealed record TooManyRequests(string RetryAfter) : KubeFault;

    /// <summary>500 InternalError, 503 ServiceUnavailable or 504 Timeout (or 401 Unauthorized, 410 Expired continue token), each with the apiserver's Status body.</summary>
    public sealed record ServerError(int StatusCode) : KubeFault;

    /// <summary>Aborts the TCP connection without a response (HttpContext.Abort); the request is not served.</summary>
    public sealed record DropConnection : KubeFault;

    /// <summary>Serves the request (a write is committed) and then aborts the connection: the client never sees the answer.</summary>
    public sealed record DropResponse : KubeFault;

    public static KubeFault Slow(TimeSpan delay) => new Latency(delay);
    public static KubeFault Throttle(int retryAfterSeconds = 1) => new TooManyRequests(retryAfterSeconds.ToString(CultureInfo.InvariantCulture));
    public static KubeFault ThrottleUntil(DateTimeOffset when) => new TooManyRequests(when.ToString("R", CultureInfo.InvariantCulture));
    public static KubeFault InternalError() => new ServerError(500);
    public static KubeFault Unavailable() => new ServerError(503);
    public static KubeFault Drop() => new DropConnection();
    /// <summary>401: the cluster no longer accepts our token.</summary>
    public static KubeFault Unauthorized() => new ServerError(401);
    public static KubeFault DropAfterCommit() => new DropResponse();
}

/// <summary>
/// Seeded random faults for fault-injection suites. Per request one draw picks at most one of 429/500/503/drop
/// (probabilities must sum to at most 1), and an independent draw adds latency.
/// </summary>
public sealed record FaultPlan(int Seed)
{
    public double TooManyRequests { get; init; }
    public double InternalError { get; init; }
    public double ServiceUnavailable { get; init; }
    public double DropConnection { get; init; }
    /// <summary>Serve, then drop the connection: a retried create then meets 409 AlreadyExists.</summary>
    public double DropResponse { get; init; }
    public double Latency { get; init; }
    public TimeSpan LatencyDelay { get; init; } = TimeSpan.FromMilliseconds(5);
    /// <summary>Retry-After seconds on injected 429s; 0 keeps fault suites fast.</summary>
    public int RetryAfterSeconds { get; init; }
    /// <summary>Which requests the plan may hit; null = all (e.g. exclude watches with <c>r => r.Verb != "watch"</c>).</summary>
    public Func<KubeRequestInfo, bool>? AppliesTo { get; init; }
}

/// <summary>How many faults of each kind the fake has injected (one-shot, hook and plan faults alike).</summary>
public sealed record InjectedFaultCounts(int TooManyRequests, int InternalErrors, int ServiceUnavailable, int GatewayTimeouts, int DroppedConnections,
    int DroppedResponses, int Latencies)
{
    /// <summary>Faults that failed a request as the client sees it (latency excluded).</summary>
    public int Failures => TooManyRequests + InternalErrors + ServiceUnavailable + GatewayTimeouts + DroppedConnections + DroppedResponses;
}

/// <summary>Chooses the fault for a request: queued one-shot faults first, then the hook, then the seeded plan.</summary>
internal sealed class FaultInjector
{
    private readonly Lock _gate = new();
    private readonly List<(KubeFault Fault, Func<KubeRequestInfo, bool> When, int Remaining)> _queued = [];
    private readonly int[] _counts = new int[7];
    private FaultPlan? _plan;
    private Random? _random;

    public Func<KubeRequestInfo, KubeFault?>? Hook { get; set; }

    public void Enqueue(KubeFault fault, int times, Func<KubeRequestInfo, bool>? when)
    {
        lock (_gate)
        {
            _queued.Add((fault, when ?? (_ => true), times));
        }
    }

    public void UsePlan(FaultPlan? plan)
    {
        lock (_gate)
        {
            _plan = plan;
            _random = plan is null ? null : new Random(plan.Seed);
        }
    }

    public InjectedFaultCounts Counts
    {
        get
        {
            lock (_gate)
            {
                return new(_counts[0], _counts[1], _counts[2], _counts[3], _counts[4], _counts[5], _counts[6]);
            }
        }
    }

    public void Reset()
    {
        lock (_gate)
        {
            _queued.Clear();
            Array.Clear(_counts);
            Hook = null;
            _plan = null;
            _random = null;
        }
    }

    /// <summary>Faults for this request in order: a latency, a failure, both, or none.</summary>
    public List<KubeFault> Choose(KubeRequestInfo request)
    {
        var chosen = new List<KubeFault>();
        lock (_gate)
        {
            var index = _queued.FindIndex(q => q.When(request));
            if (index >= 0)
            {
                var (fault, when, remaining) = _queued[index];
                chosen.Add(fault);
                if (remaining <= 1) { _queued.RemoveAt(index); } else { _queued[index] = (fault, when, remaining - 1); }
            }
        }
        if (chosen.Count == 0 && Hook?.Invoke(request) is { } hooked)
        {
            chosen.Add(hooked);
        }
        lock (_gate)
        {
            if (chosen.Count == 0 && _plan is { } plan && _random is { } random && (plan.AppliesTo?.Invoke(request) ?? true))
            {
                if (random.NextDouble() < plan.Latency)
                {
                    chosen.Add(new KubeFault.Latency(plan.LatencyDelay));
                }
                var draw = random.NextDouble();
                var failure = (draw -= plan.TooManyRequests) < 0 ? new KubeFault.TooManyRequests(plan.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture))
                    : (draw -= plan.InternalError) < 0 ? new KubeFault.ServerError(500)
                    : (draw -= plan.ServiceUnavailable) < 0 ? new KubeFault.ServerError(503)
                    : (draw -= plan.DropConnection) < 0 ? (KubeFault)new KubeFault.DropConnection()
                    : (draw -= plan.DropResponse) < 0 ? new KubeFault.DropResponse()
                    : null;
                if (failure is not null)
                {
                    chosen.Add(failure);
                }
            }
            foreach (var fault in chosen)
            {
                _counts[fault switch
                {
                    KubeFault.TooManyRequests => 0,
                    KubeFault.ServerError { StatusCode: 503 } => 2,
                    KubeFault.ServerError { StatusCode: 504 } => 3,
                    KubeFault.ServerError => 1,
                    KubeFault.DropConnection => 4,
                    KubeFault.DropResponse => 5,
                    _ => 6,
                }]++;
            }
        }
        return chosen;
    }
}
