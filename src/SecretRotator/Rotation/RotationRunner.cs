using System.Collections.Concurrent;
using k8s.Models;
using Microsoft.Extensions.Logging;
using SecretRotator.Configuration;
using SecretRotator.Kubernetes;
using SecretRotator.Telemetry;

namespace SecretRotator.Rotation;

/// <summary>
/// One pass: resolve namespaces, list managed secrets, fetch the credentials that are due, then create /
/// replace / skip every target with bounded concurrency, patch service accounts, prune, and report.
/// </summary>
public sealed partial class RotationRunner(
    IKubernetesClientProvider kubernetes,
    CredentialFetcher fetcher,
    RotatorMetrics metrics,
    TimeProvider time,
    ILogger<RotationRunner> logger)
{
    /// <param name="shutdown">Cancelled on SIGTERM/Ctrl-C: no new write starts, in-flight writes finish.</param>
    public async Task<RunReport> RunAsync(RotatorConfig config, RunOptions options, CancellationToken shutdown)
    {
        var started = time.GetTimestamp();
        var now = time.GetUtcNow();
        // The run's deadline bounds every API call; shutdown alone does not abort a write already sent.
        using var deadline = new CancellationTokenSource(config.Settings.Timeout, time);
        using var early = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, shutdown);
        var client = kubernetes.Client;
        var results = new ConcurrentBag<TargetResult>();

        var targets = config.Secrets.Where(t => options.Secret is null || t.Name == options.Secret).ToList();
        var resolver = new NamespaceResolver(client);
        var plan = new List<(SecretTarget Target, string Namespace)>();
        var resolutionFailed = false;
        foreach (var target in targets)
        {
            try
            {
                foreach (var ns in await resolver.ResolveAsync(target.Namespaces, options.Namespaces, early.Token)) plan.Add((target, ns));
            }
            catch (Exception e) when (e is not OperationCanceledException || !early.IsCancellationRequested)
            {
                var (reason, message) = KubernetesErrors.Describe(e, "list", "namespaces", null);
                results.Add(new TargetResult(target.Name, "*", Outcome.Failed, reason, $"cannot resolve namespaces: {message}"));
                resolutionFailed = true;
            }
            catch (OperationCanceledException)
            {
                results.Add(new TargetResult(target.Name, "*", Outcome.Failed, "not_done", "not done: stopped before its namespaces were resolved"));
                resolutionFailed = true;
            }
        }

        var namespaces = plan.Select(p => p.Namespace).Distinct(StringComparer.Ordinal).ToList();
        // Explicit names need no cluster-wide access; globs, selectors and prune (which must see secrets in
        // namespaces no longer configured) use one cluster-wide LIST, falling back per namespace on 403.
        var clusterWide = options.Namespaces.Count == 0 && (config.Settings.Prune || targets.Any(t => !t.Namespaces.IsExplicitOnly));
        var listing = new ManagedSecretLister.Listing([]);
        var fresh = new Dictionary<string, Registries.RegistryCredential>(StringComparer.Ordinal);
        var registryResults = new Dictionary<string, RegistryResult>(StringComparer.Ordinal);
        var accounts = ServiceAccountIndex.Empty;
        try
        {
            listing = await new ManagedSecretLister(client, logger).ListAsync(namespaces, clusterWide, config.Settings.Concurrency, early.Token);
            var due = new Dictionary<string, RegistryDefinition>(StringComparer.Ordinal);
            foreach (var (target, ns) in plan)
            {
                var existing = listing.Secrets.GetValueOrDefault((ns, target.Name));
                foreach (var registry in options.Force ? target.Registries : DueRegistries(target, existing, now, config.Settings.RefreshBefore))
                    due[registry] = config.Registry(registry);
            }
            (fresh, registryResults) = await fetcher.FetchAsync(due.Values, config.Settings.Verify, early.Token);
            if (clusterWide) accounts = await ServiceAccountIndex.ListAsync(client, targets.SelectMany(t => t.ServiceAccounts), early.Token);
        }
        catch (OperationCanceledException) when (early.IsCancellationRequested)
        {
            // Stopped before any write: every planned target is reported not_done below, nothing is half done.
        }

        var writer = new SecretWriter(client, config.Settings.Adopt);
        var patcher = new ServiceAccountPatcher(client);
        await Parallel.ForEachAsync(plan, new ParallelOptions { MaxDegreeOfParallelism = config.Settings.Concurrency }, async (item, _) =>
        {
            if (shutdown.IsCancellationRequested || deadline.IsCancellationRequested)
            {
                results.Add(new TargetResult(item.Target.Name, item.Namespace, Outcome.Failed, "not_done",
                    shutdown.IsCancellationRequested ? "not done: shutting down" : $"not done: run timeout {Duration.Format(config.Settings.Timeout)} reached"));
                return;
            }
            results.Add(await ApplyAsync(item.Target, item.Namespace, listing.Secrets.GetValueOrDefault((item.Namespace, item.Target.Name)),
                fresh, registryResults, writer, patcher, accounts, options.DryRun, now, config.Settings.Instance, deadline.Token));
        });

        if (config.Settings.Prune && options.Secret is null && !resolutionFailed && !shutdown.IsCancellationRequested)
        {
            var keep = plan.Select(p => (p.Namespace, p.Target.Name)).ToHashSet();
            var pruner = new Pruner(client, patcher);
            foreach (var r in await pruner.PruneAsync(listing, keep, config.Settings.Instance, options, deadline.Token)) results.Add(r);
        }

        var report = new RunReport(results.OrderBy(r => r.Secret, StringComparer.Ordinal).ThenBy(r => r.Namespace, StringComparer.Ordinal).ToList(),
            Summarise(targets, registryResults, listing, plan), options.DryRun);
        Record(report, targets, now);
        metrics.RunDuration(time.GetElapsedTime(started));
        return report;
    }

    private static async Task<TargetResult> ApplyAsync(SecretTarget target, string ns, V1Secret? existing,
        Dictionary<string, Registries.RegistryCredential> fresh, Dictionary<string, RegistryResult> registryResults,
        SecretWriter writer, ServiceAccountPatcher patcher, ServiceAccountIndex accounts, bool dryRun, DateTimeOffset now, string instance,
        CancellationToken cancellationToken)
    {
        try
        {
            var (result, desired) = await writer.WriteAsync(target.Name, ns, current => SecretBuilder.Build(target, ns, fresh, current, now, instance),
                existing, dryRun, cancellationToken);
            string RegistryErrors() => string.Join("; ", desired!.MissingRegistries.Select(r =>
                $"registry {r}: {registryResults.GetValueOrDefault(r)?.Error ?? "no credential"}"));
            if (desired is { HasEntries: false })
                return result with { Message = $"nothing to write: {RegistryErrors()}" };
            if (result.Outcome is Outcome.Created or Outcome.Updated or Outcome.Unchanged)
            {
                foreach (var account in target.ServiceAccounts)
                {
                    if (await patcher.EnsureAsync(target.Name, ns, account, dryRun, cancellationToken, accounts.Find(ns, account)) is { } failure) return failure;
                }
            }
            // Written with the registries that worked, but a registry is missing: the target is not fully done.
            if (desired is { MissingRegistries.Count: > 0 } && !result.Outcome.IsFailure() && result.Outcome != Outcome.MissingNamespace)
                return result with { Outcome = Outcome.Failed, Reason = "registry_failed", Message = $"{result.Outcome.Label()} without: {RegistryErrors()}" };
            return result;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A bug or unexpected data must cost this one target, never the whole run: it is reported and counted.
            return new TargetResult(target.Name, ns, Outcome.Failed, "error", $"unexpected {e.GetType().Name}: {e.Message}");
        }
    }

    /// <summary>
    /// The registries of this target that must be fetched: all of them unless the stored secret is ours, intact and
    /// for the same registries; then only those whose stored token expires within refreshBefore, or never expires
    /// (static credentials are always re-read: it is cheap and picks up a rotated password).
    /// </summary>
    private static IEnumerable<string> DueRegistries(SecretTarget target, V1Secret? existing, DateTimeOffset now, TimeSpan refreshBefore)
    {
        if (existing is null || existing.GetLabel(ManagedSecret.ManagedByLabel) != ManagedSecret.ManagedByValue) return target.Registries;
        if (existing.GetAnnotation(ManagedSecret.RegistriesAnnotation) != string.Join(",", target.Registries)) return target.Registries;
        // Corrupt or edited behind our back (hash no longer matches): fetch afresh rather than carry the stored entries.
        var data = existing.Data?.TryGetValue(ManagedSecret.DataKey, out var bytes) == true ? bytes : null;
        if (data is null || DockerConfigJson.TryParse(data) is null || existing.GetAnnotation(ManagedSecret.ContentHashAnnotation) != SecretBuilder.Hash(data))
            return target.Registries;
        var sources = SecretSources.Parse(existing.GetAnnotation(ManagedSecret.SourcesAnnotation));
        return target.Registries.Where(r => sources?.GetValueOrDefault(r) is not { ExpiresAt: { } expiry } || expiry - now <= refreshBefore);
    }

    private static Dictionary<string, RegistryResult> Summarise(List<SecretTarget> targets,
        Dictionary<string, RegistryResult> fetched, ManagedSecretLister.Listing listing, List<(SecretTarget Target, string Namespace)> plan)
    {
        var all = new Dictionary<string, RegistryResult>(fetched, StringComparer.Ordinal);
        foreach (var name in targets.SelectMany(t => t.Registries).Distinct(StringComparer.Ordinal).Where(n => !all.ContainsKey(n)))
        {
            // Not fetched because every copy is still fresh: report the earliest stored expiry.
            var expiry = plan.Where(p => p.Target.Registries.Contains(name))
                .Select(p => listing.Secrets.GetValueOrDefault((p.Namespace, p.Target.Name)))
                .Select(s => SecretSources.Parse(s?.GetAnnotation(ManagedSecret.SourcesAnnotation))?.GetValueOrDefault(name)?.ExpiresAt)
                .Where(e => e.HasValue).Min();
            all[name] = new RegistryResult(name, Fetched: false, expiry);
        }
        return all;
    }

    private void Record(RunReport report, List<SecretTarget> targets, DateTimeOffset now)
    {
        foreach (var r in report.Targets)
        {
            if (r.Outcome is not (Outcome.MissingNamespace or Outcome.Pruned)) metrics.SecretWrite(r.Secret, r.Outcome.Label());
            if (r.Outcome.IsFailure()) metrics.SecretFailure(r.Secret, r.Namespace, r.Reason ?? r.Outcome.Label());
            if (r.Outcome.IsFailure()) LogTargetFailed(logger, r.Secret, r.Namespace, r.Reason ?? "", r.Message ?? "");
            else if (r.Outcome == Outcome.MissingNamespace) LogMissingNamespace(logger, r.Secret, r.Namespace);
        }
        if (report.DryRun) return;
        foreach (var (name, result) in report.Registries)
        {
            if (!result.Fetched && result.ExpiresAt is { } stored) metrics.TokenExpiry(name, stored);
            var failedTargets = report.Targets.Any(t => t.Outcome.IsFailure() && targets.Any(s => s.Name == t.Secret && s.Registries.Contains(name)));
            // A registry that failed, or whose secrets failed, keeps its previous last-success time.
            if (result.Error is null && !failedTargets) metrics.LastSuccess(name, now);
        }
    }

    [LoggerMessage(EventId = 1001, Level = LogLevel.Error, Message = "Secret {Secret} in namespace {Namespace} failed ({Reason}): {Message}")]
    private static partial void LogTargetFailed(ILogger logger, string secret, string @namespace, string reason, string message);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Warning, Message = "Secret {Secret}: namespace {Namespace} does not exist; skipped")]
    private static partial void LogMissingNamespace(ILogger logger, string secret, string @namespace);
}
