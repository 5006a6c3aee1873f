using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SecretRotator.Configuration;

namespace SecretRotator.Kubernetes;

public static class KubernetesServiceCollectionExtensions
{
    /// <summary>
    /// The cluster connection (<see cref="KubernetesConnectionOptions"/>, else KUBECONFIG, in-cluster, ~/.kube/config)
    /// with its retry and rate-limit handlers. Nothing is built before the first <see cref="IKubernetesClientProvider.Client"/>:
    /// not the client, not the handlers (a Polly pipeline), so a command or config that never calls the API pays nothing.
    /// </summary>
    public static IServiceCollection AddKubernetesClient(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IEnvironmentVariables, ProcessEnvironmentVariables>();
        services.AddSingleton<IKubernetesClientProvider>(sp => new KubernetesClientProvider(
            sp.GetService<KubernetesConnectionOptions>() ?? new KubernetesConnectionOptions(),
            Handlers(sp),
            sp.GetRequiredService<IEnvironmentVariables>()));
        services.TryAddSingleton<KubernetesRateLimit>(); // settings.qps/burst, applied when the config is loaded
        return services;
    }

    /// <summary>Enumerated once, when the provider creates the client.</summary>
    private static IEnumerable<DelegatingHandler> Handlers(IServiceProvider sp)
    {
        yield return KubernetesResilience.CreateHandler(sp.GetService<KubernetesRetryOptions>() ?? new KubernetesRetryOptions(), sp.GetRequiredService<TimeProvider>(),
            sp.GetService<ILoggerFactory>()?.CreateLogger(typeof(KubernetesResilience)) ?? NullLogger.Instance);
        yield return new KubernetesRateLimitHandler(sp.GetRequiredService<KubernetesRateLimit>(), sp.GetRequiredService<TimeProvider>());
    }
}
