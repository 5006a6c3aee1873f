using Microsoft.Extensions.Logging;
using SecretRotator.Configuration;
using SecretRotator.Registries;
using SecretRotator.Registries.Verification;
using SecretRotator.Telemetry;

namespace SecretRotator.Rotation;

/// <summary>
/// Fetches one credential per needed registry, concurrently; a failure is recorded, never thrown. With verify on
/// (settings.verify), a credential the registry rejects is a failed fetch (reason verify_failed / verify_unreachable).
/// </summary>
public sealed partial class CredentialFetcher(IEnumerable<IRegistryProvider> providers, IRegistryVerifier verifier, RunRecorder recorder,
    ILogger<CredentialFetcher> logger)
{
    private readonly Dictionary<string, IRegistryProvider> _providers = providers.ToDictionary(p => p.Type, StringComparer.Ordinal);

    /// <summary>Without verification (render: offline, nothing is written to a cluster).</summary>
    public Task<(Dictionary<string, RegistryCredential> Fresh, Dictionary<string, RegistryResult> Results)> FetchAsync(
        IEnumerable<RegistryDefinition> registries, CancellationToken cancellationToken) =>
        FetchAsync(registries, verify: false, cancellationToken);

    /// <param name="verify">Log in to each entry's registry before accepting the credential.</param>
    public async Task<(Dictionary<string, RegistryCredential> Fresh, Dictionary<string, RegistryResult> Results)> FetchAsync(
        IEnumerable<RegistryDefinition> registries, bool verify, CancellationToken cancellationToken)
    {
        var tasks = registries.Select(async r => (r.Name, Result: await FetchOneAsync(r, verify, cancellationToken))).ToList();
        var done = await Task.WhenAll(tasks);
        var fresh = new Dictionary<string, RegistryCredential>(StringComparer.Ordinal);
        var results = new Dictionary<string, RegistryResult>(StringComparer.Ordinal);
        foreach (var (name, fetched) in done)
        {
            results[name] = fetched.Result;
            if (fetched.Credential is not null) fresh[name] = fetched.Credential;
        }
        return (fresh, results);
    }

    /// <summary>
    /// Fetches (and with <paramref name="verify"/>, verifies) one registry's credential. A failure is returned, never
    /// thrown, except cancellation of <paramref name="cancellationToken"/> and a {secret:} source without a cluster
    /// (<see cref="k8s.Exceptions.KubeConfigException"/>). The token request is counted in the metrics.
    /// </summary>
    public async Task<FetchResult> FetchOneAsync(RegistryDefinition registry, bool verify, CancellationToken cancellationToken)
    {
        try
        {
            var credential = await _providers[registry.Type].GetCredentialAsync(registry, cancellationToken);
            if (credential.Entries.Count == 0)
                throw new RegistryException("no_entries", $"registry {registry.Name} returned no credentials");
            if (verify) await Task.WhenAll(credential.Entries.Select(e => verifier.VerifyAsync(e, cancellationToken)));
            recorder.TokenFetched(registry.Name, credential.ExpiresAt);
            LogFetched(logger, registry.Name, registry.Type, credential.Entries.Count, credential.ExpiresAt);
            return new FetchResult(credential, new RegistryResult(registry.Name, Fetched: true, credential.ExpiresAt));
        }
        // A {secret:} source without any cluster connection is a usage error (exit 2), not a registry failure.
        catch (Exception e) when (e is not k8s.Exceptions.KubeConfigException && (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested))
        {
            // Any provider failure (SDK exceptions included) becomes a recorded failure: it reaches the
            // metrics, the summary and the exit code, and the registry's previous entries are kept.
            var reason = e is RegistryException re ? re.Reason : "error";
            recorder.TokenFailed(registry.Name);
            LogFetchFailed(logger, registry.Name, reason, e.Message);
            return new FetchResult(null, new RegistryResult(registry.Name, Fetched: false, null, e.Message, reason));
        }
    }

    [LoggerMessage(EventId = 1201, Level = LogLevel.Information, Message = "Registry {Registry} ({Type}): {Count} entries, expires {ExpiresAt}")]
    private static partial void LogFetched(ILogger logger, string registry, string type, int count, DateTimeOffset? expiresAt);

    [LoggerMessage(EventId = 1202, Level = LogLevel.Error, Message = "Registry {Registry} failed ({Reason}): {Error}")]
    private static partial void LogFetchFailed(ILogger logger, string registry, string reason, string error);
}

/// <summary>One registry's fetch: the credential (null on failure) and what to report about it.</summary>
public sealed record FetchResult(RegistryCredential? Credential, RegistryResult Result);
