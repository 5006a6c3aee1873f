namespace SecretRotator.Registries.Ecr;

/// <summary>An IAM role assumed through STS on top of the default credential chain (cross-account pulls).</summary>
public sealed record AwsAssumeRole(string RoleArn, string? ExternalId, string SessionName)
{
    public const string DefaultSessionName = "secret-rotator";
}

/// <summary>The parsed <c>type: ecr</c> fields.</summary>
public sealed record EcrRegistryOptions(
    string Region,
    IReadOnlyList<string> Accounts,
    AwsAssumeRole? AssumeRole,
    bool Fips,
    bool DualStack,
    Uri? Endpoint);

/// <summary>The parsed <c>type: ecr-public</c> fields.</summary>
public sealed record EcrPublicRegistryOptions(Uri? Endpoint, AwsAssumeRole? AssumeRole);
