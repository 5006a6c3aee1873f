using Microsoft.Extensions.Logging;
using SecretRotator.Configuration;
using SecretRotator.Kubernetes;

namespace SecretRotator.Registries.Acr;

/// <summary>
/// Azure Container Registry: Entra token (workload identity, managed identity, secret or default chain)
/// exchanged for an ACR refresh token, which docker uses as password with the all-zero username.
/// </summary>
public sealed partial class AcrRegistryProvider(
    Lazy<AzureCredentialFactory> credentials,
    Lazy<EntraTokenCache> entraTokens,
    AcrTokenExchange exchange,
    ILogger<AcrRegistryProvider> logger) : RegistryProvider<AcrRegistryOptions>
{
    /// <summary>The username ACR expects with a refresh token, as <c>az acr login --expose-token</c> prints it.</summary>
    public const string RefreshTokenUsername = "00000000-0000-0000-0000-000000000000";

    public override string Type => "acr";

    protected override IReadOnlyList<string> ServersOf(AcrRegistryOptions options) => [options.Server];

    protected override async Task<RegistryCredential> FetchAsync(RegistryDefinition registry, AcrRegistryOptions options, CancellationToken cancellationToken)
    {
        var signIn = credentials.Value.Resolve(registry.Name, options);
        var accessToken = await entraTokens.Value.GetTokenAsync(signIn, options.Scope, registry.Name, cancellationToken);

        // The exchange wants the tenant; identities that do not name one carry it in the token's tid claim.
        var tenant = signIn.TenantId ?? JwtClaims.TryReadString(accessToken.Token, "tid");
        var refreshToken = await exchange.ExchangeAsync(registry.Name, options, tenant, accessToken.Token, cancellationToken);

        // The expiry decides when the secret is rewritten, so it is read from the token, never assumed.
        var expiresAt = JwtClaims.TryReadExpiry(refreshToken)
            ?? throw new RegistryException("invalid_token",
                $"the refresh token from {options.Endpoint} has no readable exp claim, so its expiry is unknown");

        LogCredential(logger, registry.Name, options.Server, expiresAt);
        return new RegistryCredential([new DockerAuthEntry(options.Server, RefreshTokenUsername, refreshToken)], expiresAt);
    }

    [LoggerMessage(EventId = 2120, Level = LogLevel.Information, Message = "Registry {Registry}: ACR refresh token for {Server}, expires {ExpiresAt:O}")]
    private static partial void LogCredential(ILogger logger, string registry, string server, DateTimeOffset expiresAt);
}
