using Microsoft.Extensions.DependencyInjection;
using SecretRotator.Configuration;
using SecretRotator.Kubernetes;
using SecretRotator.Registries;
using SecretRotator.Registries.Static;
using SecretRotator.Rotation;
using SecretRotator.Telemetry;

namespace SecretRotator;

public static class ServiceCollectionExtensions
{
    /// <summary>Wires every service of the tool. Registry types: one line each.</summary>
    public static IServiceCollection AddSecretRotator(this IServiceCollection services)
    {
        services.AddSingleton(TimeProvider.System);
        services.AddMetrics();
        services.AddSingleton<RotatorMetrics>();
        services.AddSingleton<ConfigLoader>();
        services.AddSingleton<IValueResolver, ValueResolver>();
        services.AddSingleton<IKubernetesClientProvider>(sp => new KubernetesClientProvider(
            sp.GetService<KubernetesConnectionOptions>() ?? new KubernetesConnectionOptions(), []));
        services.AddSingleton<CredentialFetcher>();
        services.AddSingleton<RotationRunner>();

        // Registry types
        services.AddSingleton<IRegistryProvider, StaticRegistryProvider>();
        return services;
    }
}
