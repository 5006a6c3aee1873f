using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using SecretRotator.Configuration;
using SecretRotator.CredentialProvider.TokenMode;
using SecretRotator.Kubernetes;
using SecretRotator.Registries;
using SecretRotator.Registries.Acr;
using SecretRotator.Registries.Ecr;
using SecretRotator.Registries.Gcr;
using SecretRotator.Registries.Mirror;
using SecretRotator.Registries.Static;

namespace SecretRotator.CredentialProvider;

public static class CredentialProviderServiceCollectionExtensions
{
    /// <summary>
    /// Everything credential-provider needs, and nothing else: kubelet execs it for every uncached pull, so this is its
    /// start-up (docs/performance.md). The config loader, the registry types, the token-mode exchange per cloud and the
    /// request-to-response service. Not the rotation pipeline, telemetry or host configuration of
    /// <see cref="ServiceCollectionExtensions.AddSecretRotator"/>; the Kubernetes connection is registered for a
    /// <c>{secret:}</c> source or a <c>type: mirror</c> but built only if one is fetched. Logging: the caller's
    /// (none unless --verbose).
    /// </summary>
    public static IServiceCollection AddCredentialProvider(this IServiceCollection services)
    {
        services.AddLogging();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IEnvironmentVariables, ProcessEnvironmentVariables>();
        services.TryAddSingleton(sp => new ConfigLoader(sp.GetServices<IRegistryProvider>()));
        services.TryAddSingleton<IValueResolver, ValueResolver>();
        services.AddKubernetesClient();

        // Registry types: the same as AddSecretRotator's.
        services.AddStaticRegistry();
        services.AddEcrRegistry();
        services.AddEcrPublicRegistry();
        services.AddAcrRegistry();
        services.AddGcrRegistry();
        services.AddMirrorRegistry();

        // No request logging on this client: every body carries the pod's token. kubelet's exec timeout bounds the rest.
        services.AddHttpClient(TokenModeHttp.ClientName, c => c.Timeout = TimeSpan.FromSeconds(30)).RemoveAllLoggers();
        services.AddSingleton<ITokenModeSource, AwsWebIdentitySource>();
        services.AddSingleton<ITokenModeSource, AzureClientAssertionSource>();
        services.AddSingleton<ITokenModeSource, GoogleStsSource>();
        services.AddSingleton<CredentialProviderService>();
        return services;
    }
}
