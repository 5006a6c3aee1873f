using System.Net;
using System.Threading.RateLimiting;
using Microsoft.Extensions.DependencyInjection;
using SecretRotator.Cli;
using SecretRotator.Configuration;
using SecretRotator.Kubernetes;

namespace SecretRotator.Tests.Kubernetes;

/// <summary>settings.qps / settings.burst: the token bucket in front of every Kubernetes API request, with a manual clock.</summary>
public sealed class KubernetesRateLimitTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly DateTimeOffset Start = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task SendAsync_BurstSpent_NextRequestWaitsForRefill()
    {
        var (limiter, server, invoker) = Pipeline(burst: 2, new TimerSignallingTimeProvider(Start));
        using var _ = invoker;

        await Send(invoker);
        await Send(invoker);
        var third = Send(invoker);

        Assert.False(third.IsCompleted);
        Assert.Equal(2, server.Requests);
        limiter.Add(1);
        using var response = await third.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        Assert.Equal(3, server.Requests);
    }

    [Fact]
    public async Task SendAsync_ManyWaiting_ServedInArrivalOrderOnePerToken()
    {
        var (limiter, server, invoker) = Pipeline(burst: 1, new TimerSignallingTimeProvider(Start));
        using var _ = invoker;
        await Send(invoker);

        var waiting = Enumerable.Range(0, 3).Select(i => Send(invoker, $"/api/v1/namespaces/n{i}")).ToList();
        limiter.Add(1);
        using var first = await waiting[0].WaitAsync(TimeSpan.FromSeconds(10), Ct);

        Assert.False(waiting[1].IsCompleted);
        Assert.Equal(["/", "/api/v1/namespaces/n0"], server.Paths);
        limiter.Add(1);
        using var second = await waiting[1].WaitAsync(TimeSpan.FromSeconds(10), Ct);
        Assert.Equal("/api/v1/namespaces/n1", server.Paths[^1]);
        Assert.False(waiting[2].IsCompleted);
        limiter.Add(1);
        using var third = await waiting[2].WaitAsync(TimeSpan.FromSeconds(10), Ct);
    }

    [Fact]
    public async Task SendAsync_429WithRetryAfter_PausesEveryLaterRequestUntilThen()
    {
        var time = new TimerSignallingTimeProvider(Start);
        var (_, server, invoker) = Pipeline(burst: 100, time);
        using var __ = invoker;
        server.ThrottleNext(retryAfterSeconds: 3);

        using var throttled = await Send(invoker);
        var next = Send(invoker);
        await time.TimerCreated(TimeSpan.FromSeconds(3)).WaitAsync(TimeSpan.FromSeconds(10), Ct);

        Assert.Equal(HttpStatusCode.TooManyRequests, throttled.StatusCode);
        Assert.False(next.IsCompleted);
        Assert.Equal(1, server.Requests);
        time.Advance(TimeSpan.FromSeconds(3));
        using var served = await next.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        Assert.Equal(2, server.Requests);
    }

    [Fact]
    public async Task SendAsync_RetryAfterAboveCap_PausesOnlyMaxPause()
    {
        var time = new TimerSignallingTimeProvider(Start);
        var (_, server, invoker) = Pipeline(burst: 100, time);
        using var __ = invoker;
        server.ThrottleNext(retryAfterSeconds: 3600);

        using var throttled = await Send(invoker);
        var next = Send(invoker);

        await time.TimerCreated(KubernetesRateLimitHandler.MaxPause).WaitAsync(TimeSpan.FromSeconds(10), Ct);
        time.Advance(KubernetesRateLimitHandler.MaxPause);
        using var served = await next.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
    }

    [Theory]
    [InlineData(50, 100, 3, 60)]   // the defaults: 3 tokens every 60 ms
    [InlineData(20, 30, 1, 50)]
    [InlineData(0.5, 1, 1, 2000)]
    [InlineData(1000, 100, 50, 50)]
    [InlineData(1000, 10, 10, 10)] // never more per step than the bucket holds
    public void Refill_Qps_AddsThatRateInStepsOfAbout50Ms(double qps, int burst, int tokensPerStep, int periodMs)
    {
        var (tokens, period) = KubernetesRateLimit.Refill(qps, burst);

        Assert.Equal(tokensPerStep, tokens);
        Assert.Equal(TimeSpan.FromMilliseconds(periodMs), period);
    }

    [Fact]
    public void CreateLimiter_Configured_StartsWithAFullBucketOfBurstTokens()
    {
        var settings = new KubernetesRateLimit();
        settings.Configure(50, 7);
        using var limiter = settings.CreateLimiter();

        Assert.Equal(7, limiter.GetStatistics()!.CurrentAvailablePermits);
        Assert.Equal(TimeSpan.FromMilliseconds(60), limiter.ReplenishmentPeriod);
        Assert.True(limiter.IsAutoReplenishing);
    }

    [Fact]
    public async Task LoadConfig_QpsAndBurst_ConfigureTheClientLimit()
    {
        var dir = Directory.CreateTempSubdirectory("rate-limit-config-");
        try
        {
            var file = Path.Combine(dir.FullName, "config.yaml");
            File.WriteAllText(Path.Combine(dir.FullName, "password"), "p");
            File.WriteAllText(file, """
                registries:
                  - {name: ghcr, type: static, server: ghcr.io, username: bot, password: {file: password}}
                secrets:
                  - {name: regcred, registries: [ghcr], namespaces: {names: [default]}}
                settings: {qps: 7.5, burst: 9}
                """);
            await using var services = new ServiceCollection().AddSecretRotator().BuildServiceProvider();

            var config = await CommandServices.LoadConfigAsync(services, file, TextWriter.Null);

            Assert.NotNull(config);
            var limit = services.GetRequiredService<KubernetesRateLimit>();
            Assert.Equal((7.5, 9), (limit.Qps, limit.Burst));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void Configure_NotPositive_Throws()
    {
        var settings = new KubernetesRateLimit();

        Assert.Throws<ArgumentOutOfRangeException>(() => settings.Configure(0, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => settings.Configure(10, 0));
        Assert.Equal((RotatorSettings.DefaultQps, RotatorSettings.DefaultBurst), (settings.Qps, settings.Burst));
    }

    private static (ManualTokens Limiter, CountingServer Server, HttpMessageInvoker Invoker) Pipeline(int burst, TimeProvider time)
    {
        var limiter = new ManualTokens(burst);
        var server = new CountingServer();
        var handler = new KubernetesRateLimitHandler(() => limiter, time) { InnerHandler = server };
        return (limiter, server, new HttpMessageInvoker(handler));
    }

    private static Task<HttpResponseMessage> Send(HttpMessageInvoker invoker, string path = "/") =>
        invoker.SendAsync(new HttpRequestMessage(HttpMethod.Get, new Uri("http://127.0.0.1" + path)), Ct);

    /// <summary>
    /// A token bucket refilled only by the test (the BCL's refills by elapsed Stopwatch time even when replenished by
    /// hand), so that what waits and what proceeds depends on counts, never on the wall clock.
    /// </summary>
    private sealed class ManualTokens(int tokens) : RateLimiter
    {
        private readonly Lock _gate = new();
        private readonly Queue<TaskCompletionSource<RateLimitLease>> _waiting = new();
        private int _tokens = tokens;

        public override TimeSpan? IdleDuration => null;

        public void Add(int count)
        {
            var ready = new List<TaskCompletionSource<RateLimitLease>>();
            lock (_gate)
            {
                _tokens += count;
                while (_tokens > 0 && _waiting.TryDequeue(out var next)) { _tokens--; ready.Add(next); }
            }
            foreach (var r in ready) r.SetResult(Granted.Instance);
        }

        public override RateLimiterStatistics? GetStatistics() => null;

        protected override RateLimitLease AttemptAcquireCore(int permitCount) => throw new NotSupportedException();

        protected override ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
        {
            lock (_gate)
            {
                if (_tokens > 0 && _waiting.Count == 0)
                {
                    _tokens--;
                    return ValueTask.FromResult<RateLimitLease>(Granted.Instance);
                }
                var wait = new TaskCompletionSource<RateLimitLease>(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiting.Enqueue(wait);
                return new ValueTask<RateLimitLease>(wait.Task);
            }
        }

        private sealed class Granted : RateLimitLease
        {
            public static readonly Granted Instance = new();
            public override bool IsAcquired => true;
            public override IEnumerable<string> MetadataNames => [];
            public override bool TryGetMetadata(string metadataName, out object? metadata) { metadata = null; return false; }
        }
    }

    /// <summary>Answers 200 (or a scripted 429) at once and records what reached it.</summary>
    private sealed class CountingServer : HttpMessageHandler
    {
        private readonly Lock _gate = new();
        private readonly List<string> _paths = [];
        private int? _throttleSeconds;

        public int Requests { get { lock (_gate) return _paths.Count; } }
        public List<string> Paths { get { lock (_gate) return [.. _paths]; } }

        public void ThrottleNext(int retryAfterSeconds) => _throttleSeconds = retryAfterSeconds;

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            lock (_gate)
            {
                _paths.Add(request.RequestUri!.AbsolutePath);
                var response = new HttpResponseMessage(_throttleSeconds is null ? HttpStatusCode.OK : HttpStatusCode.TooManyRequests);
                if (_throttleSeconds is { } s) response.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(TimeSpan.FromSeconds(s));
                _throttleSeconds = null;
                return Task.FromResult(response);
            }
        }
    }
}
