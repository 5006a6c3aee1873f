using System.Collections.Concurrent;

namespace SecretRotator.Rotation;

/// <summary>
/// The service-account half of a pass, after its secrets are written (and of one per-event reconcile): each
/// (namespace, account) gets every secret that needs it in ONE read-modify-replace (two targets sharing "default" cost
/// one write per namespace, not two), and a failed account fails every target that needed it, with the patcher's reason
/// and message. An account not yet created in a namespace younger than settings.serviceAccountGracePeriod is pending:
/// the target keeps its secret's outcome (Kubernetes creates "default" a moment after the namespace; the account's watch
/// event, or the next pass, adds the entry).
/// </summary>
public sealed class ServiceAccountBatch(ServiceAccountPatcher patcher)
{
    /// <returns>The final result of every written secret, in the order given.</returns>
    public async Task<IReadOnlyList<TargetResult>> EnsureAsync(IReadOnlyList<(PlannedSecret Item, WrittenSecret Written)> written,
        RunContext context, int concurrency)
    {
        // Grouped by account; a secret the account's listed version already holds (a steady-state pass: nearly all)
        // is left out, and an account with nothing left needs no work item.
        var groups = new Dictionary<(string Namespace, string Account), List<string>>();
        foreach (var (item, secret) in written)
        {
            if (!secret.NeedsAccounts) continue;
            var accounts = item.Target.ServiceAccounts;
            for (var i = 0; i < accounts.Count; i++)
            {
                var account = accounts[i];
                if (ServiceAccountPatcher.AlreadyLists(item.Target.Name, item.Namespace, account, context.Accounts)) continue;
                if (!groups.TryGetValue((item.Namespace, account), out var secrets)) groups[(item.Namespace, account)] = secrets = [];
                secrets.Add(item.Target.Name);
            }
        }
        var failures = new ConcurrentDictionary<(string Namespace, string Account), TargetResult>();
        // No token here: the patcher's calls are bounded by the pass's deadline, and a secret already written still
        // gets its accounts on shutdown (the in-flight target finishes, as in the daemon's single path).
        await Parallel.ForEachAsync(groups, new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (group, _) =>
        {
            var (ns, account) = group.Key;
            var secrets = group.Value.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList(); // a stable entry order
            TargetResult? failure;
            try
            {
                failure = await patcher.EnsureAllAsync(secrets, ns, account, context.DryRun, context.CancellationToken, context.Accounts);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                failure = SecretReconciler.Unexpected(secrets[0], ns, e);
            }
            if (failure is { Reason: NotFound } && await IsYoungAsync(ns, context)) failure = failure with { Outcome = Outcome.Unchanged, Reason = Pending };
            if (failure is not null) failures[group.Key] = failure;
        });
        var results = new List<TargetResult>(written.Count);
        foreach (var (item, secret) in written) results.Add(Final(item, secret, failures));
        return results;
    }

    /// <summary>The patcher's reason for an account that does not exist.</summary>
    public const string NotFound = "serviceaccount_not_found";
    private const string Pending = "serviceaccount_pending";

    private static async Task<bool> IsYoungAsync(string ns, RunContext context)
    {
        if (context.NamespaceCreated is null || context.Settings.ServiceAccountGracePeriod <= TimeSpan.Zero) return false;
        try
        {
            // A negative age is clock skew, not youth: the failure stands.
            return await context.NamespaceCreated(ns, context.CancellationToken) is { } created && context.Now - created is var age
                && age >= TimeSpan.Zero && age < context.Settings.ServiceAccountGracePeriod;
        }
        catch (Exception e) when (e is not OperationCanceledException || !context.CancellationToken.IsCancellationRequested)
        {
            return false; // age unknown: the failure stands, as before the grace period existed
        }
    }

    // The first of the target's accounts (in config order) that failed decides, as on the single path; a pending one
    // leaves the secret's own outcome and says why in the message.
    private static TargetResult Final(PlannedSecret item, WrittenSecret written, ConcurrentDictionary<(string, string), TargetResult> failures)
    {
        if (!written.NeedsAccounts || failures.IsEmpty) return written.Result;
        var accounts = item.Target.ServiceAccounts;
        TargetResult? pending = null;
        for (var i = 0; i < accounts.Count; i++)
        {
            if (!failures.TryGetValue((item.Namespace, accounts[i]), out var failure)) continue;
            if (failure.Reason != Pending) return failure with { Secret = item.Target.Name };
            pending ??= written.Result with { Message = $"{failure.Message} yet (namespace younger than settings.serviceAccountGracePeriod: pending)" };
        }
        return pending ?? written.Result;
    }
}
