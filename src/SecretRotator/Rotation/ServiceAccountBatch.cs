using System.Collections.Concurrent;

namespace SecretRotator.Rotation;

/// <summary>
/// The service-account half of a <c>run</c> pass, after its secrets are written: each (namespace, account) gets every
/// secret that needs it in ONE read-modify-replace (two targets sharing "default" cost one write per namespace, not
/// two), and a failed account fails every target that needed it, with the patcher's reason and message.
/// </summary>
public sealed class ServiceAccountBatch(ServiceAccountPatcher patcher)
{
    /// <returns>The final result of every written secret, in the order given.</returns>
    public async Task<IReadOnlyList<TargetResult>> EnsureAsync(IReadOnlyList<(PlannedSecret Item, WrittenSecret Written)> written,
        RunContext context, int concurrency)
    {
        var accounts = written
            .Where(w => w.Written.NeedsAccounts)
            .SelectMany(w => w.Item.Target.ServiceAccounts.Select(account => (Key: (w.Item.Namespace, Account: account), Secret: w.Item.Target.Name)))
            .GroupBy(x => x.Key, x => x.Secret)
            // An account that already lists its secrets (a steady-state pass: nearly all) needs no work item.
            .Where(g => !ServiceAccountPatcher.AlreadyLists(g, g.Key.Namespace, g.Key.Account, context.Accounts))
            .ToList();
        var failures = new ConcurrentDictionary<(string Namespace, string Account), TargetResult>();
        // No token here: the patcher's calls are bounded by the pass's deadline, and a secret already written still
        // gets its accounts on shutdown (the in-flight target finishes, as in the daemon's single path).
        await Parallel.ForEachAsync(accounts, new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (group, _) =>
        {
            var (ns, account) = group.Key;
            var secrets = group.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList(); // a stable entry order
            TargetResult? failure;
            try
            {
                failure = await patcher.EnsureAllAsync(secrets, ns, account, context.DryRun, context.CancellationToken, context.Accounts);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                failure = SecretReconciler.Unexpected(secrets[0], ns, e);
            }
            if (failure is not null) failures[group.Key] = failure;
        });
        return written.Select(w => Final(w.Item, w.Written, failures)).ToList();
    }

    // The first of the target's accounts (in config order) that failed decides, as on the single path.
    private static TargetResult Final(PlannedSecret item, WrittenSecret written, ConcurrentDictionary<(string, string), TargetResult> failures) =>
        written.NeedsAccounts
        && item.Target.ServiceAccounts.Select(account => failures.GetValueOrDefault((item.Namespace, account))).FirstOrDefault(f => f is not null) is { } failure
            ? failure with { Secret = item.Target.Name }
            : written.Result;
}
