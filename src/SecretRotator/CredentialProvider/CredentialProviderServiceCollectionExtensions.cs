using Microsoft.Extensions.DependencyInjection;
using SecretRotator.CredentialProvider.TokenMode;

namespace SecretRotator.CredentialProvider;

public static class CredentialProviderServiceCollectionExtensions
{
    /// <summary>credential-provider: the request-to-response service and the token-mode exchange per cloud.</summary>
    public static IServiceCollection AddCredentialProvider(this IServiceCollection services)
    {
        // No request logging on this client: every body carries the pod's token. kubelet's exec timeout bounds the rest.
        services.AddHttpClient(TokenModeHttp.ClientName, c => c.Timeout = TimeSpan.FromSeconds(30)).RemoveAllLoggers();
        services.AddSingleton<ITokenModeSource, AwsWebIdentitySource>();
        services.AddSingleton<ITokenModeSource, AzureClientAssertionSource>();
        services.AddSingleton<ITokenModeSource, GoogleStsSource>();
        services.AddSingleton<CredentialProviderService>();
        return services;
    }
}
