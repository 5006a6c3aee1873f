namespace SecretRotator.Registries.Ecr;

/// <summary>
/// The environment variables the ECR providers read themselves (endpoint overrides, container credentials). Injected so tests
/// need not touch process-global state; the other credential variables are read by the AWS SDK from the process.
/// </summary>
public sealed class AwsEnvironment(Func<string, string?> read)
{
    public static AwsEnvironment Process { get; } = new(Environment.GetEnvironmentVariable);

    public const string EcrEndpointVariable = "AWS_ENDPOINT_URL_ECR";
    public const string EcrPublicEndpointVariable = "AWS_ENDPOINT_URL_ECR_PUBLIC";

    /// <summary>The variable's value; null when unset or empty.</summary>
    public string? Get(string variable) => read(variable) is { Length: > 0 } value ? value : null;

    /// <summary>An absolute http(s) URL from <paramref name="variable"/>, null when unset or empty.</summary>
    public Uri? EndpointUrl(string variable)
    {
        var value = read(variable);
        if (string.IsNullOrWhiteSpace(value)) return null;
        if (Uri.TryCreate(value.Trim(), UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https") return uri;
        throw new RegistryException("bad_endpoint", $"environment variable {variable} is not an absolute http(s) URL");
    }
}
