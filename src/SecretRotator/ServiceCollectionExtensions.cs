using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SecretRotator.Configuration;
using SecretRotator.CredentialProvider;
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
        services.AddSingleton<IKubernetesClientProvider>(sp => new KubernetesClientProvider(
            sp.GetService<KubernetesConnectionOptions>() ?? new KubernetesConnectionOptions(),
            [KubernetesResilience.CreateHandler(sp.GetService<KubernetesRetryOptions>() ?? new KubernetesRetryOptions(), sp.GetRequiredService<TimeProvider>(),
                sp.GetService<ILoggerFactory>()?.CreateLogger(typeof(KubernetesResilience)) ?? NullLogger.Instance),
             new KubernetesRateLimitHandler(sp.GetRequiredService<KubernetesRateLimit>(), sp.GetRequiredService<TimeProvider>())],
            sp.GetRequiredService<IEnvironmentVariables>()));
        services.AddSingleton<KubernetesRateLimit>(); // settings.qps/burst, applied when the config is loaded
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

        services.AddCredentialProvider(); // kubelet plugin: the same sources answered on stdout
        return services;
    }
}
