using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using SecretRotator.Configuration;

namespace SecretRotator.Registries.Acr;

public static class AcrServiceCollectionExtensions
{
    /// <summary>The <c>type: acr</c> registry and what it needs.</summary>
    public static IServiceCollection AddAcrRegistry(this IServiceCollection services)
    {
        services.TryAddSingleton<IEnvironmentVariables, ProcessEnvironmentVariables>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddDeferredServices();
        services.AddSingleton<AzureCredentialFactory>();
        services.AddSingleton<EntraTokenCache>();
        services.AddSingleton<AcrTokenExchange>();
        services.AddHttpClient(AcrTokenExchange.HttpClientName, c => c.Timeout = TimeSpan.FromSeconds(30));
        services.AddSingleton<IRegistryProvider, AcrRegistryProvider>();
        return services;
    }
}
