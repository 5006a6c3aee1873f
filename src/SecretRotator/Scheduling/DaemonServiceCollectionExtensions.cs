using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Quartz;
using SecretRotator.Configuration;
using SecretRotator.Kubernetes.Watching;

namespace SecretRotator.Scheduling;

public static class DaemonServiceCollectionExtensions
{
    /// <summary>The daemon on top of <see cref="ServiceCollectionExtensions.AddSecretRotator"/>: Quartz (one job per registry), watches, election.</summary>
    public static IServiceCollection AddSecretRotatorDaemon(this IServiceCollection services, RotatorConfig config, Action<DaemonOptions> configure)
    {
        services.AddSingleton(config);
        services.Configure(configure);
        services.AddSingleton(sp => new CredentialCache(sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<ClusterState>();
        services.AddSingleton<ReconcileBacklog>();
        services.AddSingleton(sp => new WatchHealth(sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<Leadership>();
        services.AddSingleton<DaemonStatus>();
        services.AddSingleton<NamespaceReadiness>();
        services.AddSingleton<TargetReconciler>();
        services.AddSingleton<ClusterWatches>();
        services.AddSingleton<DaemonPass>();
        services.AddSingleton<RegistryRefresher>();
        services.AddSingleton<DaemonRunner>();
        services.AddQuartz(q =>
        {
            foreach (var registry in config.Registries)
                q.AddJob<RegistryRefreshJob>(j => j.WithIdentity(RegistryRefresher.JobKey(registry.Name)).StoreDurably());
        });
        // The scheduler stops first on shutdown and waits for running fetches.
        services.AddQuartzHostedService(o => o.WaitForJobsToComplete = true);
        services.AddHostedService<LeaderElectionService>();
        services.AddHealthChecks().AddCheck<DaemonHealthCheck>("daemon");
        return services;
    }
}
