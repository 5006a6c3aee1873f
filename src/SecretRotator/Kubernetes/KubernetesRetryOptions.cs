namespace SecretRotator.Kubernetes;

/// <summary>How Kubernetes API calls are retried (see <see cref="KubernetesResilience"/>).</summary>
public sealed record KubernetesRetryOptions
{
    /// <summary>Total tries per call, the first included; 1 disables retries.</summary>
    public int MaxAttempts { get; init; } = 5;

    /// <summary>Median first backoff; later ones grow exponentially with jitter.</summary>
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Cap on any single wait, including one asked for by Retry-After.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Each try must have response headers within this (watches: only until the stream starts). Polly allows 10 ms to 24 h.</summary>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(30);

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxAttempts, 1, nameof(MaxAttempts));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(BaseDelay, TimeSpan.Zero, nameof(BaseDelay));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxDelay, BaseDelay, nameof(MaxDelay));
        ArgumentOutOfRangeException.ThrowIfLessThan(AttemptTimeout, TimeSpan.FromMilliseconds(10), nameof(AttemptTimeout));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(AttemptTimeout, TimeSpan.FromHours(24), nameof(AttemptTimeout));
    }
}
