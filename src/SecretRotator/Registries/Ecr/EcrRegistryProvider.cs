using Amazon.Runtime;
using Microsoft.Extensions.Logging;
using SecretRotator.Configuration;
using SecretRotator.Kubernetes;

namespace SecretRotator.Registries.Ecr;

/// <summary>
/// Private Amazon ECR. One GetAuthorizationToken call per registry: the token is valid for every registry
/// the principal may read in that region, so it is written once per configured account host.
/// </summary>
public sealed class EcrRegistryProvider(
    Lazy<AwsCredentialChain> credentials,
    AwsTokenClient client,
    AwsEnvironment environment,
    TimeProvider time,
    ILogger<EcrRegistryProvider> logger) : RegistryProvider<EcrRegistryOptions>
{
    public const string Service = "ecr";
    public const string Target = "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken";

    public override string Type => "ecr";

    protected override IReadOnlyList<string> ServersOf(EcrRegistryOptions options) =>
        options.Accounts.Select(a => EcrEndpoints.RegistryHost(a, options.Region)).ToList();

    protected override async Task<RegistryCredential> FetchAsync(RegistryDefinition registry, EcrRegistryOptions options, CancellationToken cancellationToken)
    {
        var endpoint = Endpoint(options);
        if (options.AssumeRole is { } role) EcrLog.AssumingRole(logger, registry.Name, role.RoleArn, role.SessionName);

        var started = time.GetTimestamp();
        var signing = await credentials.Value.GetAsync(registry.Name, options.AssumeRole, cancellationToken);
        return await GetCredentialAsync(registry, endpoint, signing, started, cancellationToken);
    }

    /// <summary>The token for credentials the caller already holds (credential-provider's token mode: the pod's own role).</summary>
    public Task<RegistryCredential> GetCredentialAsync(RegistryDefinition registry, AWSCredentials signing, CancellationToken cancellationToken) =>
        GetCredentialAsync(registry, Endpoint(OptionsOf(registry)), signing, time.GetTimestamp(), cancellationToken);

    private Uri Endpoint(EcrRegistryOptions options) => EcrEndpoints.Select(options.Endpoint, environment, AwsEnvironment.EcrEndpointVariable,
        EcrEndpoints.ApiEndpoint(options.Region, options.Fips, options.DualStack));

    private async Task<RegistryCredential> GetCredentialAsync(RegistryDefinition registry, Uri endpoint, AWSCredentials signing, long started, CancellationToken cancellationToken)
    {
        var options = OptionsOf(registry);
        using var answer = await client.CallAsync(new AwsTokenCall(registry.Name, Service, Target, options.Region, endpoint, signing), cancellationToken);

        if (!answer.RootElement.TryGetProperty("authorizationData", out var list) || list.ValueKind != System.Text.Json.JsonValueKind.Array || list.GetArrayLength() == 0)
            throw new RegistryException("bad_response", $"GetAuthorizationToken returned no authorizationData");
        var token = EcrTokenParser.Parse(list[0], registry.Name);

        var proxy = options.Accounts.Count > 0 ? null : EcrTokenParser.ProxyHost(token.ProxyEndpoint) ?? throw new RegistryException("bad_response",
            $"GetAuthorizationToken returned no usable proxyEndpoint; list the registries under accounts");
        // The proxy host starts with the account id: the FIPS / dual-stack hosts of that account are added too.
        var accounts = proxy is null ? options.Accounts : [proxy.Split('.')[0]];
        var hosts = accounts.SelectMany(a => EcrEndpoints.RegistryHosts(a, options.Region, options.Fips, options.DualStack))
            .Append(proxy).OfType<string>().Distinct(StringComparer.Ordinal).ToList();

        EcrLog.Fetched(logger, registry.Name, Service, hosts.Count, token.ExpiresAt, (long)time.GetElapsedTime(started).TotalMilliseconds);
        return new RegistryCredential(hosts.Select(h => new DockerAuthEntry(h, token.Username, token.Password)).ToList(), token.ExpiresAt);
    }
}
