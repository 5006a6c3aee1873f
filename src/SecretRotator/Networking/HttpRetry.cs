using Microsoft.Extensions.Http.Resilience;
using Polly;
using Polly.Retry;

namespace SecretRotator.Networking;

/// <summary>
/// The one retry convention for calls to credential endpoints (ACR exchange, Google IAM, AWS container credentials,
/// ECR): Microsoft.Extensions.Http.Resilience's <see cref="HttpRetryStrategyOptions"/>. Transient means what
/// <see cref="HttpClientResiliencePredicates.IsTransient(Outcome{HttpResponseMessage})"/> says (a transport failure,
/// 408, 429 or 5xx); a Retry-After the endpoint sends is honoured up to <see cref="MaxRetryAfter"/>; backoff is
/// exponential with jitter. A caller replaces the predicate only for a domain rule (ECR's throttling codes in a 400
/// body). Kubernetes API calls keep their own time-budgeted pipeline (Kubernetes/KubernetesResilience.cs), with the same
/// transient rule.
/// </summary>
public static class HttpRetry
{
    /// <summary>Longer waits asked for by Retry-After are cut to this; the run's settings.timeout still bounds the whole fetch.</summary>
    public static readonly TimeSpan MaxRetryAfter = TimeSpan.FromSeconds(30);

    /// <param name="retries">Tries after the first.</param>
    /// <param name="delay">Median first backoff; tests pass zero.</param>
    /// <param name="shouldHandle">A domain predicate instead of the transient one.</param>
    public static ResiliencePipeline<HttpResponseMessage> Pipeline(TimeProvider time, int retries, TimeSpan delay,
        Func<OnRetryArguments<HttpResponseMessage>, ValueTask> onRetry,
        Func<RetryPredicateArguments<HttpResponseMessage>, ValueTask<bool>>? shouldHandle = null)
    {
        var options = new HttpRetryStrategyOptions
        {
            MaxRetryAttempts = retries,
            Delay = delay,
            ShouldHandle = shouldHandle ?? (args => ValueTask.FromResult(HttpClientResiliencePredicates.IsTransient(args.Outcome))),
            OnRetry = onRetry,
        };
        var retryAfter = options.DelayGenerator;
        options.DelayGenerator = async args =>
            retryAfter is not null && await retryAfter(args) is { } wait ? (wait > MaxRetryAfter ? MaxRetryAfter : wait) : null;
        return new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = time }.AddRetry(options).Build();
    }
}
