using System.Net;
using System.Threading.RateLimiting;
using SecretRotator.Configuration;

namespace SecretRotator.Kubernetes;

/// <summary>
/// settings.qps / settings.burst: the client-side limit on Kubernetes API requests, like client-go's token bucket.
/// Set from the config before the first request (the client is created lazily, after the config is loaded).
/// </summary>
/// <remarks>
/// Defaults are kubectl's QPS (50) with a burst of 100 rather than client-go's controller defaults (20/30): a run is a
/// batch job that starts, writes and exits, and 20 qps would stretch a 10,000-namespace rotation past the run timeout,
/// while 50 qps is still a small share of what an API server's priority-and-fairness levels admit.
/// </remarks>
public sealed class KubernetesRateLimit
{
    public double Qps { get; private set; } = RotatorSettings.DefaultQps;
    public int Burst { get; private set; } = RotatorSettings.DefaultBurst;

    public void Configure(double qps, int burst)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(qps, 0, nameof(qps));
        ArgumentOutOfRangeException.ThrowIfLessThan(burst, 1, nameof(burst));
        (Qps, Burst) = (qps, burst);
    }

    /// <summary>
    /// A token bucket of <see cref="Burst"/> tokens refilled at <see cref="Qps"/>. Refilled in steps of about 50 ms
    /// (never a timer per token), and waiting requests queue in arrival order without limit: throttling must slow a
    /// run down, never fail it.
    /// </summary>
    public TokenBucketRateLimiter CreateLimiter()
    {
        var (tokensPerPeriod, period) = Refill(Qps, Burst);
        return new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = Burst,
            TokensPerPeriod = tokensPerPeriod,
            ReplenishmentPeriod = period,
            QueueLimit = int.MaxValue,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
            AutoReplenishment = true,
        });
    }

    /// <summary>How many tokens are added how often: about every 50 ms, so that the rate is exact without a timer per token.</summary>
    internal static (int TokensPerPeriod, TimeSpan Period) Refill(double qps, int burst)
    {
        var tokens = (int)Math.Clamp(Math.Ceiling(qps / 20), 1, burst);
        return (tokens, TimeSpan.FromSeconds(tokens / qps));
    }
}

/// <summary>
/// Takes a token before every request attempt (it sits inside the retry handler, so retries are limited too). A 429
/// with Retry-After pauses every request of this client until then, so concurrent writers back off together instead
/// of each spending its retries against a server that asked for a pause.
/// </summary>
public sealed class KubernetesRateLimitHandler(Func<RateLimiter> limiterFactory, TimeProvider time) : DelegatingHandler
{
    /// <summary>Longest pause a Retry-After can impose on everyone (the retry handler caps its own wait likewise).</summary>
    public static readonly TimeSpan MaxPause = TimeSpan.FromSeconds(30);

    private readonly Lazy<RateLimiter> _limiter = new(limiterFactory, LazyThreadSafetyMode.ExecutionAndPublication);
    private long _pausedUntilTicks; // UTC ticks; 0 when not paused

    public KubernetesRateLimitHandler(KubernetesRateLimit settings, TimeProvider time) : this(() => settings.CreateLimiter(), time)
    {
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var pause = new DateTimeOffset(Interlocked.Read(ref _pausedUntilTicks), TimeSpan.Zero) - time.GetUtcNow();
        if (pause > TimeSpan.Zero) await Task.Delay(pause, time, cancellationToken);
        using var lease = await _limiter.Value.AcquireAsync(1, cancellationToken);
        var response = await base.SendAsync(request, cancellationToken);
        if (response.StatusCode == HttpStatusCode.TooManyRequests && KubernetesResilience.RetryAfter(response, time, MaxPause) is { } wait && wait > TimeSpan.Zero)
        {
            var until = (time.GetUtcNow() + wait).UtcTicks;
            long seen;
            while ((seen = Interlocked.Read(ref _pausedUntilTicks)) < until && Interlocked.CompareExchange(ref _pausedUntilTicks, until, seen) != seen)
            {
            }
        }
        return response;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && _limiter.IsValueCreated) _limiter.Value.Dispose();
        base.Dispose(disposing);
    }
}
