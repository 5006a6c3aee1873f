namespace SecretRotator.Registries.Ecr;

/// <summary>Retry and timeout bounds of the token calls. Tests shorten the delay; production keeps the defaults.</summary>
public sealed record EcrHttpOptions
{
    /// <summary>Retries after the first attempt, for throttling, 5xx and connection failures.</summary>
    public int MaxRetries { get; init; } = 3;

    /// <summary>First back-off; doubled each retry, with jitter.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Covers all attempts of one token request.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);
}
