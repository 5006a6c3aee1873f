using Microsoft.Extensions.DependencyInjection;

namespace SecretRotator.Registries.Mirror;

public static class MirrorServiceCollectionExtensions
{
    /// <summary>The <c>type: mirror</c> registry: copies an existing pull secret (needs 'get' on that one secret).</summary>
    public static IServiceCollection AddMirrorRegistry(this IServiceCollection services) =>
        services.AddSingleton<IRegistryProvider, MirrorRegistryProvider>();
}
