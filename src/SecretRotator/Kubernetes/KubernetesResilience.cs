using System.Net;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace SecretRotator.Kubernetes;

/// <summary>
/// Retries for every Kubernetes API call, as a handler for the client's HTTP pipeline:
/// 429 (waiting what Retry-After asks, seconds or HTTP-date, capped at MaxRetryAfter), any 5xx, per-try timeouts and
/// dropped connections (HttpRequestException, IOException), with jittered exponential backoff. Retries are bounded by
/// time (RetryBudget from the first try), not by a small count: a minute of API-server downtime is ridden out.
/// Other 4xx are answers, not accidents: 409 in particular belongs to the caller (AlreadyExists → re-read, Conflict → re-read and retry).
/// </summary>
/// <remarks>
/// Writes are retried too, POST included. A dropped connection can hide a write the server committed; retrying a
/// create then meets 409 AlreadyExists and a replace meets 409 Conflict (its resourceVersion is now stale), which the
/// callers already treat as "re-read and decide again", so a retry can never silently duplicate or lose a change.
/// </remarks>
public static partial class KubernetesResilience
{
    private static readonly ResiliencePropertyKey<HttpRequestMessage> RequestKey = new("secret-rotator.k8s.request");
    private static readonly ResiliencePropertyKey<int> AttemptKey = new("secret-rotator.k8s.attempt");
    private static readonly ResiliencePropertyKey<long> StartedKey = new("secret-rotator.k8s.started");
    private static readonly ResiliencePropertyKey<bool> LostKey = new("secret-rotator.k8s.lost");

    /// <summary>Marks a response that came after an earlier try of the same request lost its answer.</summary>
    public const string AfterLostResponseHeader = "X-Secret-Rotator-After-Lost-Response";

    /// <summary>
    /// True when an earlier try of this request got no answer (dropped, timed out), so a write it carried may have
    /// landed: a 409 then may be our own write. Without it a 409 is the server's first answer: our write did not land.
    /// </summary>
    public static bool FollowedLostResponse(k8s.Autorest.HttpResponseMessageWrapper response) => response.Headers.ContainsKey(AfterLostResponseHeader);

    public static DelegatingHandler CreateHandler(KubernetesRetryOptions options, TimeProvider time, ILogger logger)
    {
        options.Validate();
        var builder = new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = time };
        if (options.MaxAttempts > 1)
        {
            builder.AddRetry(RetryStrategy(options, time, logger));
        }
        builder.AddTimeout(options.AttemptTimeout); // inside the retry: bounds each try, not the whole call
        return new RetryHandler(builder.Build(), options, time, logger);
    }

    /// <summary>
    /// Worth another try: the one transient rule every HTTP call of the tool uses (Microsoft.Extensions.Http.Resilience's,
    /// as in Networking/HttpRetry.cs: a transport failure, a per-try timeout, 408, 429 or 5xx), plus an IOException, which
    /// is how a connection dropped while the body is read surfaces.
    /// </summary>
    private static bool IsTransient(Outcome<HttpResponseMessage> outcome) =>
        HttpClientResiliencePredicates.IsTransient(outcome) || outcome.Exception is IOException;

    /// <summary>The same rule for an error status the client already turned into an exception.</summary>
    public static bool IsTransient(HttpStatusCode status)
    {
        using var response = new HttpResponseMessage(status);
        return IsTransient(Outcome.FromResult(response));
    }

    private static RetryStrategyOptions<HttpResponseMessage> RetryStrategy(KubernetesRetryOptions options, TimeProvider time, ILogger logger) => new()
    {
        MaxRetryAttempts = options.MaxAttempts == int.MaxValue ? int.MaxValue : options.MaxAttempts - 1,
        BackoffType = DelayBackoffType.Exponential,
        UseJitter = true,
        Delay = options.BaseDelay,
        MaxDelay = options.MaxDelay,
        ShouldHandle = args => ValueTask.FromResult(
            IsTransient(args.Outcome) &&
            time.GetElapsedTime(args.Context.Properties.GetValue(StartedKey, 0L)) < options.RetryBudget),
        DelayGenerator = args => ValueTask.FromResult(RetryAfter(args.Outcome.Result, time, options.MaxRetryAfter)),
        OnRetry = args =>
        {
            var request = args.Context.Properties.GetValue(RequestKey, null!);
            args.Context.Properties.Set(AttemptKey, args.AttemptNumber + 2);
            if (args.Outcome.Exception is not null) args.Context.Properties.Set(LostKey, true);
            var elapsed = time.GetElapsedTime(args.Context.Properties.GetValue(StartedKey, 0L));
            LogRetrying(logger, request.Method, request.RequestUri?.AbsolutePath, Describe(args.Outcome), args.AttemptNumber + 2,
                (long)args.RetryDelay.TotalMilliseconds, (long)elapsed.TotalSeconds, (long)options.RetryBudget.TotalSeconds);
            return ValueTask.CompletedTask;
        },
    };

    /// <summary>The wait a 429/503 asks for; null lets the backoff decide.</summary>
    internal static TimeSpan? RetryAfter(HttpResponseMessage? response, TimeProvider time, TimeSpan max)
    {
        var header = response?.Headers.RetryAfter;
        var wait = header?.Delta ?? (header?.Date is { } date ? date - time.GetUtcNow() : null);
        return wait is null ? null : wait < TimeSpan.Zero ? TimeSpan.Zero : wait > max ? max : wait;
    }

    /// <summary>What failed, in words: "HTTP 503", "HTTP 429 (Retry-After 1 s)", "connection refused".</summary>
    private static string Describe(Outcome<HttpResponseMessage> outcome)
    {
        if (outcome.Exception is { } e) return Networking.NetworkFailure.Describe(e);
        var response = outcome.Result!;
        return response.Headers.RetryAfter?.Delta is { } wait
            ? $"HTTP {(int)response.StatusCode} (Retry-After {wait.TotalSeconds:0.###} s)"
            : $"HTTP {(int)response.StatusCode}";
    }

    // Only method, path and what failed are logged: never bodies, headers or query strings.
    [LoggerMessage(EventId = 4000, Level = LogLevel.Warning,
        Message = "Kubernetes API {Method} {Path} failed: {Failure}; attempt {Attempt} in {DelayMs} ms ({ElapsedSeconds} s of the {BudgetSeconds} s retry budget used)")]
    private static partial void LogRetrying(ILogger logger, HttpMethod method, string? path, string failure, int attempt, long delayMs, long elapsedSeconds,
        long budgetSeconds);

    [LoggerMessage(EventId = 4001, Level = LogLevel.Warning,
        Message = "Kubernetes API {Method} {Path} still failing ({Failure}) after {Attempts} attempts; giving up")]
    private static partial void LogGaveUp(ILogger logger, HttpMethod method, string? path, string failure, int attempts);

    private sealed class RetryHandler(ResiliencePipeline<HttpResponseMessage> pipeline, KubernetesRetryOptions options, TimeProvider time, ILogger logger)
        : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var context = ResilienceContextPool.Shared.Get(cancellationToken);
            context.Properties.Set(RequestKey, request);
            context.Properties.Set(StartedKey, time.GetTimestamp());
            try
            {
                var outcome = await pipeline.ExecuteOutcomeAsync(
                    static async (ctx, state) =>
                    {
                        try
                        {
                            return Outcome.FromResult(await state.Self.SendOnceAsync(state.Request, ctx.CancellationToken));
                        }
                        catch (Exception e)
                        {
                            return Outcome.FromException<HttpResponseMessage>(e);
                        }
                    },
                    context, (Self: this, Request: request));
                var attempts = context.Properties.GetValue(AttemptKey, 1);
                if (outcome.Exception is { } error)
                {
                    if (IsTransient(outcome))
                    {
                        LogGaveUp(logger, request.Method, request.RequestUri?.AbsolutePath, Describe(outcome), attempts);
                    }
                    if (error is TimeoutRejectedException)
                    {
                        // One exception type for "the API server did not answer", whatever the transport did.
                        throw new HttpRequestException(
                            $"Kubernetes API {request.Method} {request.RequestUri?.AbsolutePath} did not respond within {options.AttemptTimeout} ({attempts} attempts)", error);
                    }
                    outcome.ThrowIfException();
                }
                var response = outcome.Result!;
                if (context.Properties.GetValue(LostKey, false)) response.Headers.TryAddWithoutValidation(AfterLostResponseHeader, "true");
                if (IsTransient(outcome))
                {
                    LogGaveUp(logger, request.Method, request.RequestUri?.AbsolutePath, Describe(outcome), attempts);
                }
                return response;
            }
            finally
            {
                ResilienceContextPool.Shared.Return(context);
            }
        }

        private Task<HttpResponseMessage> SendOnceAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            base.SendAsync(request, cancellationToken);
    }
}
