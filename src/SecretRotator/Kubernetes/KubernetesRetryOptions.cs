namespace SecretRotator.Kubernetes;

/// <summary>How Kubernetes API calls are retried (see <see cref="KubernetesResilience"/>).</summary>
public sealed record KubernetesRetryOptions
{
    /// <summary>
    /// How long one call keeps retrying, from its first try: long enough to ride out a control-plane upgrade (the API
    /// server can be away for a minute). No retry starts after it; the run's settings.timeout still bounds everything.
    /// </summary>
    public TimeSpan RetryBudget { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Optional cap on tries per call, the first included (1 disables retries); by default only the budget limits them.</summary>
    public int MaxAttempts { get; init; } = int.MaxValue;

    /// <summary>Median first backoff; later ones grow exponentially with jitter.</summary>
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Cap on one backoff wait, so a recovered server is noticed quickly.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Cap on one wait asked for by Retry-After (the apiserver usually asks for 1 s).</summary>
    public TimeSpan MaxRetryAfter { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Each try must have response headers within this (watches: only until the stream starts). Polly allows 10 ms to 24 h.</summary>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(30);

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxAttempts, 1, nameof(MaxAttempts));
        ArgumentOutOfRangeException.ThrowIfLessThan(RetryBudget, TimeSpan.Zero, nameof(RetryBudget));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(BaseDelay, TimeSpan.Zero, nameof(BaseDelay));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxDelay, BaseDelay, nameof(MaxDelay));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxRetryAfter, TimeSpan.Zero, nameof(MaxRetryAfter));
        ArgumentOutOfRangeException.ThrowIfLessThan(AttemptTimeout, TimeSpan.FromMilliseconds(10), nameof(AttemptTimeout));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(AttemptTimeout, TimeSpan.FromHours(24), nameof(AttemptTimeout));
    }
}
