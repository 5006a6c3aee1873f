using Microsoft.Extensions.Logging;
using SecretRotator.Configuration;
using SecretRotator.Kubernetes;

namespace SecretRotator.Registries.Ecr;

/// <summary>
/// Amazon ECR Public (public.ecr.aws): authenticated pulls get higher rate limits. The API lives only in
/// us-east-1, so requests are always signed there whatever region the workload runs in.
/// </summary>
public sealed class EcrPublicRegistryProvider(
    Lazy<AwsCredentialChain> credentials,
    AwsTokenClient client,
    AwsEnvironment environment,
    TimeProvider time,
    ILogger<EcrPublicRegistryProvider> logger) : RegistryProvider<EcrPublicRegistryOptions>
{
    public const string Service = "ecr-public";
    public const string Target = "SpencerFrontendService.GetAuthorizationToken";

    public override string Type => "ecr-public";

    protected override IReadOnlyList<string> ServersOf(EcrPublicRegistryOptions options) => [EcrEndpoints.PublicHost];

    protected override async Task<RegistryCredential> FetchAsync(RegistryDefinition registry, EcrPublicRegistryOptions options, CancellationToken cancellationToken)
    {
        var endpoint = EcrEndpoints.Select(options.Endpoint, environment, AwsEnvironment.EcrPublicEndpointVariable, EcrEndpoints.PublicApi);
        if (options.AssumeRole is { } role) EcrLog.AssumingRole(logger, registry.Name, role.RoleArn, role.SessionName);

        var started = time.GetTimestamp();
        var signing = await credentials.Value.GetAsync(registry.Name, options.AssumeRole, cancellationToken);
        using var answer = await client.CallAsync(
            new AwsTokenCall(registry.Name, Service, Target, EcrEndpoints.PublicRegion, endpoint, signing), cancellationToken);

        // Unlike private ECR, authorizationData is a single object here.
        if (!answer.RootElement.TryGetProperty("authorizationData", out var data))
            throw new RegistryException("bad_response", $"GetAuthorizationToken returned no authorizationData");
        var token = EcrTokenParser.Parse(data, registry.Name);

        EcrLog.Fetched(logger, registry.Name, Service, 1, token.ExpiresAt, (long)time.GetElapsedTime(started).TotalMilliseconds);
        return new RegistryCredential([new DockerAuthEntry(EcrEndpoints.PublicHost, token.Username, token.Password)], token.ExpiresAt);
    }
}
