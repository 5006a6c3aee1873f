using Amazon;
using Amazon.Runtime;
using Amazon.RuntimeDependencies;
using Amazon.SecurityToken;

namespace SecretRotator.Registries.Ecr;

/// <summary>
/// The STS clients behind IRSA and <c>roleArn:</c>. AWSSDK.Core finds AWSSDK.SecurityToken by reflection, which the
/// Native AOT binary (the image's) does not have: there IRSA and every assume-role failed with "missing runtime
/// dependency ... RegisterSecurityTokenServiceClient". So the client is constructed here, in every build alike.
/// </summary>
internal static class StsClients
{
    /// <summary>
    /// Registers the client the SDK's own web-identity credentials (IRSA: AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE,
    /// or a web_identity_token_file profile) ask the runtime dependency registry for. AssumeRoleWithWebIdentity is
    /// unsigned, so the client is anonymous, as the SDK's reflection path builds it. Idempotent (the registry keeps the last).
    /// </summary>
    public static void RegisterForWebIdentity() =>
        GlobalRuntimeDependencyRegistry.Instance.RegisterSecurityTokenServiceClient(context =>
        {
            var data = context.SecurityTokenServiceClientContextData;
            return Create(new AnonymousAWSCredentials(), data.Region, data.ProxySettings);
        });

    /// <summary>
    /// An STS client in <paramref name="region"/> signing with <paramref name="credentials"/>. The config is the SDK's
    /// default one, so AWS_ENDPOINT_URL_STS (and AWS_ENDPOINT_URL) still apply, as with the client the SDK would build.
    /// </summary>
    public static AmazonSecurityTokenServiceClient Create(AWSCredentials credentials, RegionEndpoint region, System.Net.IWebProxy? proxy)
    {
        var config = new AmazonSecurityTokenServiceConfig { RegionEndpoint = region };
        if (proxy is not null) config.SetWebProxy(proxy);
        return new AmazonSecurityTokenServiceClient(credentials, config);
    }
}

/// <summary>
/// The SDK's <see cref="AssumeRoleAWSCredentials"/> (refresh 15 minutes before expiry, the SDK's AssumeRole call and
/// its errors), with the STS client built from <see cref="AssumeRoleAWSCredentials.SourceCredentials"/> here. The
/// runtime dependency registry cannot do that: its factory is not told the source credentials, and one registered
/// client serves the whole process, while each registry may assume a different role from the pod's identity.
/// </summary>
internal sealed class AssumedRoleCredentials(AWSCredentials source, string roleArn, string sessionName, AssumeRoleAWSCredentialsOptions options)
    : AssumeRoleAWSCredentials(source, roleArn, sessionName, options)
{
    // The region the SDK's own assume-role picks: AWS_REGION / AWS_DEFAULT_REGION / profile, else us-east-1.
    private static RegionEndpoint Region => FallbackRegionFactory.GetRegionEndpoint() ?? RegionEndpoint.USEast1;

    protected override CredentialsRefreshState GenerateNewCredentials()
    {
        using var sts = StsClients.Create(SourceCredentials, Region, Options.ProxySettings);
        var credentials = ((Amazon.Runtime.SharedInterfaces.ICoreAmazonSTS)sts).CredentialsFromAssumeRoleAuthentication(RoleArn, RoleSessionName, Options);
        return new CredentialsRefreshState(credentials, credentials.Expiration);
    }

    protected override async Task<CredentialsRefreshState> GenerateNewCredentialsAsync()
    {
        using var sts = StsClients.Create(SourceCredentials, Region, Options.ProxySettings);
        var credentials = await ((Amazon.Runtime.SharedInterfaces.ICoreAmazonSTS)sts).CredentialsFromAssumeRoleAuthenticationAsync(RoleArn, RoleSessionName, Options);
        return new CredentialsRefreshState(credentials, credentials.Expiration);
    }
}
