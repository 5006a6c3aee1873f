using Microsoft.Extensions.Logging;
using SecretRotator.Configuration;
using SecretRotator.Kubernetes;
using SecretRotator.Networking;
using SecretRotator.Registries;
using SecretRotator.Registries.Verification;

namespace SecretRotator.Rotation;

/// <summary>
/// Fetches one credential per needed registry, concurrently; a failure is recorded, never thrown. With verify on
/// (settings.verify), a credential the registry rejects is a failed fetch (reason verify_failed / verify_unreachable).
/// A fetch cut by the deadline (settings.timeout) is a failed fetch with reason timeout that names the endpoint that
/// did not answer.
/// </summary>
public sealed partial class CredentialFetcher(IEnumerable<IRegistryProvider> providers, IRegistryVerifier verifier, IRunObserver recorder,
    ILogger<CredentialFetcher> logger) : ICredentialSource
{
    private readonly Dictionary<string, IRegistryProvider> _providers = providers.ToDictionary(p => p.Type, StringComparer.Ordinal);

    /// <summary>Without verification (render: offline, nothing is written to a cluster).</summary>
    public Task<(Dictionary<string, RegistryCredential> Fresh, Dictionary<string, RegistryResult> Results)> FetchAsync(
        IEnumerable<RegistryDefinition> registries, CancellationToken cancellationToken, FetchDeadline? deadline = null) =>
        FetchAsync(registries, verify: false, cancellationToken, deadline);

    /// <param name="verify">Log in to each entry's registry before accepting the credential.</param>
    /// <param name="cancellationToken">Cancelled by the deadline or on shutdown.</param>
    /// <param name="deadline">When its token fires, each unfinished fetch fails with reason timeout instead of being cancelled.</param>
    public async Task<(Dictionary<string, RegistryCredential> Fresh, Dictionary<string, RegistryResult> Results)> FetchAsync(
        IEnumerable<RegistryDefinition> registries, bool verify, CancellationToken cancellationToken, FetchDeadline? deadline = null)
    {
        var tasks = registries.Select(async r => (r.Name, Result: await FetchOneAsync(r, verify, cancellationToken, deadline))).ToList();
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
    /// thrown, except cancellation of <paramref name="cancellationToken"/> other than by <paramref name="deadline"/>,
    /// and a {secret:} source without a cluster (<see cref="k8s.Exceptions.KubeConfigException"/>). The token request
    /// is counted in the metrics.
    /// </summary>
    public async Task<FetchResult> FetchOneAsync(RegistryDefinition registry, bool verify, CancellationToken cancellationToken, FetchDeadline? deadline = null)
    {
        // Only under a deadline: the watch is what lets its message name the endpoint that hung.
        using var requests = deadline is null ? null : OutboundRequests.Watch(deadline.Token);
        try
        {
            var credential = await _providers[registry.Type].GetCredentialAsync(registry, cancellationToken);
            if (credential.Entries.Count == 0)
                throw new RegistryException("no_entries", $"registry {registry.Name} returned no credentials");
            if (verify) await Task.WhenAll(credential.Entries.Select(e => verifier.VerifyAsync(e, cancellationToken)));
            recorder.TokenFetched(registry.Name, credential.ExpiresAt);
            var servers = string.Join(", ", credential.Entries.Select(e => e.Server));
            if (credential.ExpiresAt is { } expiresAt) LogFetched(logger, registry.Name, registry.Type, servers, expiresAt);
            else LogFetchedNoExpiry(logger, registry.Name, registry.Type, servers);
            return new FetchResult(credential, new RegistryResult(registry.Name, Fetched: true, credential.ExpiresAt));
        }
        // Whatever the cut surfaced as (cancellation, or an SDK's wrapper around it), the deadline is the cause.
        catch (Exception e) when (deadline is { Token.IsCancellationRequested: true } && e is not k8s.Exceptions.KubeConfigException)
        {
            return Failed(registry, "timeout", requests!.DescribeTimeout(deadline.Timeout, "settings.timeout"));
        }
        // A {secret:} source without any cluster connection is a usage error (exit 2), not a registry failure.
        catch (Exception e) when (e is not k8s.Exceptions.KubeConfigException && (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested))
        {
            // Any provider failure (SDK exceptions included) becomes a recorded failure: it reaches the
            // metrics, the summary and the exit code, and the registry's previous entries are kept.
            return Failed(registry, e is RegistryException re ? re.Reason : "error", e.Message);
        }
    }

    private FetchResult Failed(RegistryDefinition registry, string reason, string message)
    {
        recorder.TokenFailed(registry.Name);
        LogFetchFailed(logger, registry.Name, reason, message);
        return new FetchResult(null, new RegistryResult(registry.Name, Fetched: false, null, message, reason));
    }

    [LoggerMessage(EventId = 1201, Level = LogLevel.Information, Message = "Registry {Registry} ({Type}): fetched credentials for {Servers}, valid until {ExpiresAt:O}")]
    private static partial void LogFetched(ILogger logger, string registry, string type, string servers, DateTimeOffset expiresAt);

    [LoggerMessage(EventId = 1203, Level = LogLevel.Information, Message = "Registry {Registry} ({Type}): fetched credentials for {Servers}, which do not expire")]
    private static partial void LogFetchedNoExpiry(ILogger logger, string registry, string type, string servers);

    [LoggerMessage(EventId = 1202, Level = LogLevel.Error, Message = "Registry {Registry} failed ({Reason}): {Error}")]
    private static partial void LogFetchFailed(ILogger logger, string registry, string reason, string error);
}

/// <summary>Where a pass gets the credentials of its due registries: fetched now (`run`), or the daemon's cache.</summary>
public interface ICredentialSource
{
    /// <returns>The credentials at hand, and a result per registry that explains a missing one (and is reported).</returns>
    Task<(Dictionary<string, RegistryCredential> Fresh, Dictionary<string, RegistryResult> Results)> FetchAsync(
        IEnumerable<RegistryDefinition> registries, bool verify, CancellationToken cancellationToken, FetchDeadline? deadline = null);
}

/// <summary>The deadline a fetch runs under (settings.timeout): its length, for the message, and the token it cancels.</summary>
public sealed record FetchDeadline(TimeSpan Timeout, CancellationToken Token);

/// <summary>One registry's fetch: the credential (null on failure) and what to report about it.</summary>
public sealed record FetchResult(RegistryCredential? Credential, RegistryResult Result);
