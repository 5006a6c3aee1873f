using SecretRotator.Configuration;

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
    Uri? Endpoint) : IRegistryOptions<EcrRegistryOptions>
{
    /// <summary>The checks are <see cref="EcrConfigParser"/>'s, which the two ECR types share.</summary>
    public static EcrRegistryOptions Parse(ConfigMap map) => EcrConfigParser.ParseEcr(map);
}

/// <summary>The parsed <c>type: ecr-public</c> fields.</summary>
public sealed record EcrPublicRegistryOptions(Uri? Endpoint, AwsAssumeRole? AssumeRole) : IRegistryOptions<EcrPublicRegistryOptions>
{
    public static EcrPublicRegistryOptions Parse(ConfigMap map) => EcrConfigParser.ParsePublic(map);
}
