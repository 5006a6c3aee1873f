using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace SecretRotator.Registries.Static;

public static class StaticServiceCollectionExtensions
{
    /// <summary>The <c>type: static</c> registry: username and password from the config's value sources.</summary>
    public static IServiceCollection AddStaticRegistry(this IServiceCollection services)
    {
        services.TryAddSingleton<IValueResolver, ValueResolver>();
        return services.AddSingleton<IRegistryProvider, StaticRegistryProvider>();
    }
}
