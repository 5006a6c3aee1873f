using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace SecretRotator.Registries.Ecr;

public static class EcrServiceCollectionExtensions
{
    /// <summary>Registers <c>type: ecr</c>.</summary>
    public static IServiceCollection AddEcrRegistry(this IServiceCollection services)
    {
        AddAwsTokenServices(services);
        return services.AddSingleton<IRegistryProvider, EcrRegistryProvider>();
    }

    /// <summary>Registers <c>type: ecr-public</c>.</summary>
    public static IServiceCollection AddEcrPublicRegistry(this IServiceCollection services)
    {
        AddAwsTokenServices(services);
        return services.AddSingleton<IRegistryProvider, EcrPublicRegistryProvider>();
    }

    private static void AddAwsTokenServices(IServiceCollection services)
    {
        // SigV4SigningHandler requires redirects to be handled above it, never by the transport.
        // The factory's loggers sit below the signer: even with redaction their structured state carries the raw
        // X-Amz-Security-Token, so they are removed; AwsTokenClient logs requests itself (events 2000-2005).
        services.AddHttpClient(AwsTokenClient.HttpClientName)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false })
            .RemoveAllLoggers();
        // The container credentials endpoint is called without a proxy, as the SDK does; no loggers: the request
        // carries the Pod Identity token in its Authorization header.
        services.AddHttpClient(ContainerCredentialsProvider.HttpClientName)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false })
            .RemoveAllLoggers();
        services.TryAddSingleton(TimeProvider.System);
        services.AddDeferredServices();
        services.TryAddSingleton(new EcrHttpOptions());
        services.TryAddSingleton(AwsEnvironment.Process);
        services.TryAddSingleton<ContainerCredentialsEndpoint>();
        services.TryAddSingleton<ContainerCredentialsProvider>();
        services.TryAddSingleton<IAwsBaseCredentials, DefaultAwsBaseCredentials>();
        services.TryAddSingleton<AwsCredentialChain>();
        services.TryAddSingleton<AwsTokenClient>();
    }
}
