using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using SecretRotator.Configuration;
using SecretRotator.Kubernetes;
using SecretRotator.Registries;
using SecretRotator.Registries.Acr;
using SecretRotator.Registries.Ecr;
using SecretRotator.Registries.Gcr;
using SecretRotator.Registries.Mirror;
using SecretRotator.Registries.Static;
using SecretRotator.Registries.Verification;
using SecretRotator.Rotation;
using SecretRotator.Telemetry;

namespace SecretRotator;

public static class ServiceCollectionExtensions
{
    /// <summary>Wires every service of the tool. Registry types: one line each.</summary>
    public static IServiceCollection AddSecretRotator(this IServiceCollection services)
    {
        services.AddSingleton(TimeProvider.System);
        services.TryAddSingleton<IEnvironmentVariables, ProcessEnvironmentVariables>();
        services.AddSecretRotatorTelemetry(); // RotatorMetrics, /metrics, Pushgateway and OTLP publishing
        // The loader reads each registry type's fields through the providers, which it knows only as parsers.
        services.AddSingleton(sp => new ConfigLoader(sp.GetServices<IRegistryProvider>()));
        services.AddSingleton<IValueResolver, ValueResolver>();
        services.AddKubernetesClient(); // created on first use; settings.qps/burst applied when the config is loaded
        services.AddSingleton<ClusterProbe>();
        // settings.verify: one login per fetched entry; bounded so an unreachable registry cannot eat the run's timeout.
        services.AddHttpClient(RegistryVerifier.HttpClientName, c => c.Timeout = TimeSpan.FromSeconds(30));
        services.AddSingleton<IRegistryVerifier, RegistryVerifier>();
        // The phases of a pass; each is an entry point of its own (run, status, daemon events).
        services.AddSingleton<RunPlanner>();
        services.AddSingleton<CredentialFetcher>();
        services.AddSingleton<ServiceAccountPatcher>();
        services.AddSingleton<SecretReconciler>();
        services.AddSingleton<ServiceAccountBatch>();
        services.AddSingleton<Pruner>();
        services.AddSingleton<RotationRunner>();
        services.AddSingleton<SecretStatusReader>();

        // Registry types
        services.AddStaticRegistry();
        services.AddEcrRegistry();
        services.AddEcrPublicRegistry();
        services.AddAcrRegistry();
        services.AddGcrRegistry();
        services.AddMirrorRegistry();
        return services;
    }
}
