using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

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
        services.AddSingleton<IRegistryProvider, GcrRegistryProvider>();
        return services;
    }
}
