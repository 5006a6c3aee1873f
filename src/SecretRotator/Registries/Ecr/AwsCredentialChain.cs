using System.Collections.Concurrent;
using Amazon.Runtime;
using Amazon.Runtime.Credentials;

namespace SecretRotator.Registries.Ecr;

/// <summary>Where the base AWS identity comes from. The default is the SDK chain; tests inject fixed keys.</summary>
public interface IAwsBaseCredentials
{
    Task<AWSCredentials> ResolveAsync(CancellationToken cancellationToken);
}

/// <summary>
/// The AWS default chain: IRSA (AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE), environment keys, profiles, EKS Pod
/// Identity or ECS (AWS_CONTAINER_CREDENTIALS_*), instance metadata. The SDK picks the source in its order; when it
/// picks the container endpoint, <see cref="ContainerCredentialsProvider"/> asks it instead, so that the agent's
/// refusal reaches the user.
/// </summary>
public sealed class DefaultAwsBaseCredentials(ContainerCredentialsProvider container) : IAwsBaseCredentials, IDisposable
{
    private readonly DefaultAWSCredentialsIdentityResolver _resolver = CreateResolver();

    // IRSA's credentials ask the SDK's runtime dependency registry for their STS client (see StsClients).
    private static DefaultAWSCredentialsIdentityResolver CreateResolver()
    {
        StsClients.RegisterForWebIdentity();
        return new DefaultAWSCredentialsIdentityResolver();
    }

    // The SDK does not take a client config here: region and profile come from the environment.
    public async Task<AWSCredentials> ResolveAsync(CancellationToken cancellationToken)
    {
        var resolved = await _resolver.ResolveIdentityAsync(null, cancellationToken);
        return resolved is GenericContainerCredentials ? await container.GetAsync(cancellationToken) : resolved;
    }

    public void Dispose() => _resolver.Dispose();
}

/// <summary>
/// Base identity plus an optional assumed role per registry. Assumed-role credentials are kept per role so
/// the SDK refreshes them only near expiry instead of calling STS on every run of the daemon.
/// </summary>
public sealed class AwsCredentialChain(IAwsBaseCredentials baseCredentials)
{
    private readonly ConcurrentDictionary<AwsAssumeRole, (AWSCredentials Source, AWSCredentials Assumed)> _roles = new();

    /// <summary>
    /// Credentials for signing, already resolved once so that a missing identity or a refused role
    /// surfaces here as a <see cref="RegistryException"/> with a reason rather than inside the HTTP call.
    /// </summary>
    public async Task<AWSCredentials> GetAsync(string registry, AwsAssumeRole? role, CancellationToken cancellationToken)
    {
        AWSCredentials source;
        try
        {
            source = await baseCredentials.ResolveAsync(cancellationToken);
        }
        catch (Exception e) when (e is AmazonClientException or AmazonServiceException)
        {
            throw new RegistryException("no_credentials", $"no AWS credentials found (environment, IRSA, Pod Identity, profile, instance metadata): {e.Message}", e);
        }

        var credentials = role is null ? source : Assumed(role, source);
        try
        {
            await credentials.GetCredentialsAsync().WaitAsync(cancellationToken);
        }
        catch (Exception e) when (e is AmazonClientException or AmazonServiceException)
        {
            var service = Innermost<AmazonServiceException>(e);
            var reason = service is null ? "credentials_failed" : AwsErrors.Reason(service.ErrorCode, (int)service.StatusCode);
            var what = role is null ? "resolving AWS credentials" : $"assuming role {role.RoleArn}";
            var detail = string.IsNullOrEmpty(service?.ErrorCode) ? (service ?? e).Message : $"{service.ErrorCode}: {service.Message}";
            throw new RegistryException(reason, $"{what} failed: {detail}", e);
        }
        return credentials;
    }

    private AWSCredentials Assumed(AwsAssumeRole role, AWSCredentials source)
    {
        var entry = _roles.AddOrUpdate(role,
            _ => (source, Create(role, source)),
            (_, existing) => ReferenceEquals(existing.Source, source) ? existing : (source, Create(role, source)));
        return entry.Assumed;
    }

    // AWS_ENDPOINT_URL_STS and AWS_REGION are honoured by the STS client, as by the SDK's own.
    private static AssumedRoleCredentials Create(AwsAssumeRole role, AWSCredentials source) =>
        new(source, role.RoleArn, role.SessionName, new AssumeRoleAWSCredentialsOptions { ExternalId = role.ExternalId });

    private static T? Innermost<T>(Exception e) where T : Exception
    {
        T? found = null;
        for (Exception? current = e; current is not null; current = current.InnerException)
            if (current is T match) found = match;
        return found;
    }
}
