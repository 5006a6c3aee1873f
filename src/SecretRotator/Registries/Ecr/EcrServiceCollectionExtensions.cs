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
        // The factory's trace logging sits below the signer and would print X-Amz-Security-Token: redact every header.
        services.AddHttpClient(AwsTokenClient.HttpClientName)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false })
            .RedactLoggedHeaders(_ => true);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(new EcrHttpOptions());
        services.TryAddSingleton(AwsEnvironment.Process);
        services.TryAddSingleton<IAwsBaseCredentials, DefaultAwsBaseCredentials>();
        services.TryAddSingleton<AwsCredentialChain>();
        services.TryAddSingleton<AwsTokenClient>();
    }
}
