using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using SecretRotator.Configuration;

namespace SecretRotator.Registries.Gcr;

public static class GcrServiceCollectionExtensions
{
    /// <summary>The <c>type: gcr</c> registry (Container Registry and Artifact Registry) and what it needs.</summary>
    public static IServiceCollection AddGcrRegistry(this IServiceCollection services)
    {
        services.TryAddSingleton<IEnvironmentVariables, ProcessEnvironmentVariables>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddDeferredServices();
        services.AddSingleton<GoogleCredentialLoader>();
        services.AddSingleton<IamCredentialsClient>();
        // No loggers: the request carries the caller's access token as bearer.
        services.AddHttpClient(IamCredentialsClient.HttpClientName, c => c.Timeout = TimeSpan.FromSeconds(30)).RemoveAllLoggers();
        services.AddSingleton<IRegistryProvider, GcrRegistryProvider>();
        return services;
    }
}
