using System.Collections.Concurrent;
using k8s.Models;
using Microsoft.Extensions.Logging;
using SecretRotator.Configuration;
using SecretRotator.Kubernetes;
using SecretRotator.Registries;
using SecretRotator.Rotation;
using SecretRotator.Telemetry;

namespace SecretRotator.Scheduling;

/// <summary>
/// Brings one (secret, namespace) to its desired state from the watch caches and the cached credentials, with the same
/// writer, builder and service-account patcher as <c>run</c>. One key is reconciled by one caller at a time.
/// </summary>
public sealed partial class TargetReconciler(
    RotatorConfig config,
    ClusterState state,
    CredentialCache credentials,
    IKubernetesClientProvider kubernetes,
    RotatorMetrics metrics,
    TimeProvider time,
    ILogger<TargetReconciler> logger)
{
    private readonly ConcurrentDictionary<ReconcileKey, SemaphoreSlim> _locks = new();
    private readonly Dictionary<string, SecretTarget> _targets = config.Secrets.ToDictionary(t => t.Name, StringComparer.Ordinal);

    /// <param name="leader">Cancelled when the lease is lost: no write starts or continues after that.</param>
    /// <returns>The outcome, or null when the namespace is gone or no longer selected (nothing to do).</returns>
    public async Task<TargetResult?> ReconcileAsync(ReconcileKey key, CancellationToken leader)
    {
        if (!_targets.TryGetValue(key.Secret, out var target)) return null;
        var gate = _locks.GetOrAdd(key, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(leader);
        try
        {
            if (!state.Namespaces.TryGetValue(key.Namespace, out var ns) || !ClusterState.Selects(target, ns)) return null;
            var result = await ApplyAsync(target, key.Namespace, leader);
            Record(result);
            return result;
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task<TargetResult> ApplyAsync(SecretTarget target, string ns, CancellationToken leader)
    {
        var now = time.GetUtcNow();
        var existing = state.Secret(ns, target.Name);
        var fresh = new Dictionary<string, RegistryCredential>(StringComparer.Ordinal);
        foreach (var registry in DueRegistries(target, existing, now, config.Settings.RefreshBefore))
        {
            if (credentials.Valid(registry) is { } credential) fresh[registry] = credential;
        }
        var client = kubernetes.Client;
        try
        {
            var (result, desired) = await new SecretWriter(client, config.Settings.Adopt).WriteAsync(target.Name, ns,
                current => SecretBuilder.Build(target, ns, fresh, current, now, config.Settings.Instance), existing, dryRun: false, leader);
            if (result.Outcome is not (Outcome.Created or Outcome.Updated or Outcome.Unchanged) || desired is not { HasEntries: true }) return result;
            // A fresh patcher per call: the run-scoped one remembers what it wrote, which a hand edit may have undone since.
            var patcher = new ServiceAccountPatcher(client);
            foreach (var account in target.ServiceAccounts)
            {
                if (await patcher.EnsureAsync(target.Name, ns, account, dryRun: false, leader, state.ServiceAccount(ns, account)) is { } failure) return failure;
            }
            return result;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return new TargetResult(target.Name, ns, Outcome.Failed, "error", $"unexpected {e.GetType().Name}: {e.Message}");
        }
    }

    // The same rule as RotationRunner's (private there until the Rotation refactor exposes it): keep stored entries that are
    // still fresh, so a restart or a watch event does not rewrite every secret with a new token.
    private static IEnumerable<string> DueRegistries(SecretTarget target, V1Secret? existing, DateTimeOffset now, TimeSpan refreshBefore)
    {
        if (existing is null || existing.GetLabel(ManagedSecret.ManagedByLabel) != ManagedSecret.ManagedByValue) return target.Registries;
        if (existing.GetAnnotation(ManagedSecret.RegistriesAnnotation) != string.Join(",", target.Registries)) return target.Registries;
        var data = existing.Data?.TryGetValue(ManagedSecret.DataKey, out var bytes) == true ? bytes : null;
        if (data is null || DockerConfigJson.TryParse(data) is null || existing.GetAnnotation(ManagedSecret.ContentHashAnnotation) != SecretBuilder.Hash(data))
            return target.Registries;
        var sources = SecretSources.Parse(existing.GetAnnotation(ManagedSecret.SourcesAnnotation));
        return target.Registries.Where(r => sources?.GetValueOrDefault(r) is not { ExpiresAt: { } expiry } || expiry - now <= refreshBefore);
    }

    private void Record(TargetResult r)
    {
        if (r.Outcome is Outcome.MissingNamespace or Outcome.Pruned) return;
        metrics.SecretWrite(r.Secret, r.Outcome.Label());
        if (r.Outcome.IsFailure())
        {
            metrics.SecretFailure(r.Secret, r.Namespace, r.Reason ?? r.Outcome.Label());
            LogFailed(logger, r.Secret, r.Namespace, r.Reason ?? "", r.Message ?? "");
        }
        else if (r.Outcome is Outcome.Created or Outcome.Updated)
        {
            LogWritten(logger, r.Secret, r.Namespace, r.Outcome.Label());
        }
    }

    [LoggerMessage(EventId = 5201, Level = LogLevel.Error, Message = "Secret {Secret} in namespace {Namespace} failed ({Reason}): {Message}")]
    private static partial void LogFailed(ILogger logger, string secret, string @namespace, string reason, string message);

    [LoggerMessage(EventId = 5202, Level = LogLevel.Information, Message = "Secret {Secret} in namespace {Namespace}: {Outcome}")]
    private static partial void LogWritten(ILogger logger, string secret, string @namespace, string outcome);
}
