using k8s.Models;
using Microsoft.Extensions.Logging;
using SecretRotator.Configuration;
using SecretRotator.Rotation;
using SecretRotator.Threading;

namespace SecretRotator.Scheduling;

/// <summary>
/// A per-event reconcile (a new namespace, a deleted secret, a service account whose entry was removed): one (secret,
/// namespace) through the pass's own pieces, the selection rule (<see cref="NamespaceSelector"/>), the write and
/// service-account path (<see cref="SecretReconciler"/>, <see cref="ServiceAccountBatch"/>), the due rule and the
/// recorder, fed from the watch caches and the credential cache. One key is reconciled by one caller at a time. Public
/// entry point for callers outside the daemon loop (the admission webhook creates a missing secret through it).
/// </summary>
public sealed partial class TargetReconciler(
    RotatorConfig config,
    ClusterState state,
    CredentialCache credentials,
    SecretReconciler reconciler,
    IRunObserver recorder,
    NamespaceReadiness readiness,
    TimeProvider time,
    ILogger<TargetReconciler> logger)
{
    // Entries live only while a key is reconciled: namespaces come and go over a daemon's life.
    private readonly KeyedLock<ReconcileKey> _locks = new();
    private readonly Dictionary<string, SecretTarget> _targets = config.Secrets.ToDictionary(t => t.Name, StringComparer.Ordinal);

    /// <param name="leader">Cancelled when the lease is lost: no write starts or continues after that.</param>
    /// <returns>The outcome, or null when the namespace is gone or no longer selected (nothing to do).</returns>
    public async Task<TargetResult?> ReconcileAsync(ReconcileKey key, CancellationToken leader)
    {
        if (!_targets.TryGetValue(key.Secret, out var target)) return null;
        using (await _locks.AcquireAsync(key, leader))
        {
            if (!state.Namespaces.TryGetValue(key.Namespace, out var ns) || !NamespaceSelector.Selects(target.Namespaces, ns)) return null;
            var result = await reconciler.ReconcileAsync(target, key.Namespace, await ContextAsync(target, key.Namespace, leader));
            recorder.Target(result);
            readiness.Written(result);
            if (result.Outcome is Outcome.Created or Outcome.Updated) LogWritten(logger, result.Secret, result.Namespace, result.Outcome.Label());
            return result;
        }
    }

    /// <summary>
    /// Only the registries due for the stored secret get the cached credential (the pass's rule, with the pass's look-ahead):
    /// a restart or a watch event does not rewrite every secret with a new token; the others keep their stored entries. A
    /// registry without a usable credential reports its last fetch error.
    /// </summary>
    private async Task<RunContext> ContextAsync(SecretTarget target, string ns, CancellationToken leader)
    {
        var now = time.GetUtcNow();
        state.Secrets.TryGetValue((ns, target.Name), out var existing);
        var lookAhead = DaemonPass.LookAhead(config.Settings);
        var due = RunPlanner.DueRegistries(target, existing, now, config.Settings.RefreshBefore + lookAhead);
        var (fresh, results) = await credentials.FetchAsync(due.Select(config.Registry), verify: false, leader);
        var accounts = new ServiceAccountIndex();
        foreach (var account in target.ServiceAccounts)
        {
            if (state.ServiceAccount(ns, account) is { } sa) accounts.Remember(sa);
        }
        return new RunContext
        {
            Settings = config.Settings,
            Credentials = fresh,
            RegistryResults = results,
            LookAhead = lookAhead,
            NamespaceCreated = state.Snapshot().NamespaceCreatedAsync,
            Listed = existing is null ? new Dictionary<(string, string), V1Secret>() : new Dictionary<(string, string), V1Secret> { [(ns, target.Name)] = existing },
            Accounts = accounts,
            Now = now,
            CancellationToken = leader,
        };
    }

    [LoggerMessage(EventId = 5202, Level = LogLevel.Information, Message = "Secret {Secret} in namespace {Namespace}: {Outcome}")]
    private static partial void LogWritten(ILogger logger, string secret, string @namespace, string outcome);
}
