using System.Collections.Concurrent;
using Azure.Core;
using Azure.Identity;
using Microsoft.Extensions.Logging;

namespace SecretRotator.Registries.Acr;

/// <summary>
/// Entra access tokens per identity and scope. Several ACR registries signed in the same way share one token,
/// reused until shortly before it expires (judged by our TimeProvider, not the library's clock).
/// </summary>
public sealed partial class EntraTokenCache(TimeProvider time, ILogger<EntraTokenCache> logger)
{
    /// <summary>A token this close to expiry is not handed to the exchange: it could lapse in flight.</summary>
    internal static readonly TimeSpan ReuseMargin = TimeSpan.FromMinutes(5);

    private readonly ConcurrentDictionary<string, AccessToken> _tokens = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _gates = new(StringComparer.Ordinal);

    public async Task<AccessToken> GetTokenAsync(AzureSignIn signIn, string scope, string registry, CancellationToken cancellationToken)
    {
        var key = $"{signIn.CacheKey}|{scope}";
        if (TryReuse(key, registry, out var cached)) return cached;

        // One request per identity at a time: concurrent registries wait for, then reuse, the first one's token.
        var gate = _gates.GetOrAdd(key, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        try
        {
            if (TryReuse(key, registry, out cached)) return cached;
            var token = await RequestAsync(signIn, scope, registry, cancellationToken);
            _tokens[key] = token;
            LogTokenIssued(logger, registry, signIn.Description, scope, token.ExpiresOn);
            return token;
        }
        finally
        {
            gate.Release();
        }
    }

    private bool TryReuse(string key, string registry, out AccessToken token)
    {
        if (_tokens.TryGetValue(key, out token) && time.GetUtcNow() < token.ExpiresOn - ReuseMargin)
        {
            LogTokenReused(logger, registry, token.ExpiresOn);
            return true;
        }
        return false;
    }

    private static async Task<AccessToken> RequestAsync(AzureSignIn signIn, string scope, string registry, CancellationToken cancellationToken)
    {
        try
        {
            return await signIn.Credential.GetTokenAsync(new TokenRequestContext([scope]), cancellationToken);
        }
        catch (CredentialUnavailableException ex)
        {
            throw new RegistryException("auth_unavailable", $"no Microsoft Entra credential available via {signIn.Description}: {ProviderReason(ex)}", ex);
        }
        catch (AuthenticationFailedException ex)
        {
            throw new RegistryException("auth_failed", $"Microsoft Entra sign-in via {signIn.Description} failed: {ProviderReason(ex)}", ex);
        }
    }

    /// <summary>
    /// Azure.Identity wraps the service's answer (AADSTS code and text) in an inner exception; that is the
    /// part an operator can act on. Messages hold codes, ids and trace ids, never the assertion or secret.
    /// </summary>
    internal static string ProviderReason(Exception ex)
    {
        var reason = ex.Message;
        for (var inner = ex.InnerException; inner is not null; inner = inner.InnerException)
        {
            if (inner.Message.Contains("AADSTS", StringComparison.Ordinal)) { reason = inner.Message; break; }
            if (inner is not AggregateException) reason = inner.Message;
        }
        reason = string.Join(' ', reason.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        return reason.Length <= 800 ? reason : reason[..800] + "...";
    }

    [LoggerMessage(EventId = 2100, Level = LogLevel.Information, Message = "Registry {Registry}: got a Microsoft Entra token via {Identity} for {Scope}, expires {ExpiresOn:O}")]
    private static partial void LogTokenIssued(ILogger logger, string registry, string identity, string scope, DateTimeOffset expiresOn);

    [LoggerMessage(EventId = 2101, Level = LogLevel.Debug, Message = "Registry {Registry}: reusing the cached Microsoft Entra token, expires {ExpiresOn:O}")]
    private static partial void LogTokenReused(ILogger logger, string registry, DateTimeOffset expiresOn);
}
