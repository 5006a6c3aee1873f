using SecretRotator.Configuration;
using SecretRotator.Kubernetes;
using SecretRotator.Registries;
using SecretRotator.Threading;

namespace SecretRotator.Rotation;

/// <summary>
/// One pass (<c>run</c>), in named phases: plan (<see cref="RunPlanner"/>), fetch what is due
/// (<see cref="CredentialFetcher"/>), write every (secret, namespace) with bounded concurrency
/// (<see cref="SecretReconciler"/>), then each service account once with all its secrets (<see cref="ServiceAccountBatch"/>), prune (<see cref="Pruner"/>), report (<see cref="RunReportBuilder"/>) and
/// record (<see cref="IRunObserver"/>).
/// </summary>
public sealed class RotationRunner(
    IKubernetesClientProvider kubernetes,
    RunPlanner planner,
    CredentialFetcher fetcher,
    SecretReconciler reconciler,
    ServiceAccountBatch accountBatch,
    Pruner pruner,
    IRunObserver recorder,
    TimeProvider time)
{
    /// <param name="shutdown">Cancelled on SIGTERM/Ctrl-C: no new write starts, in-flight writes finish.</param>
    public async Task<RunReport> RunAsync(RotatorConfig config, RunOptions options, CancellationToken shutdown)
    {
        var started = time.GetTimestamp();
        // The run's deadline bounds every API call; shutdown alone does not abort a write already sent.
        using var deadline = new CancellationTokenSource(config.Settings.Timeout, time);
        using var early = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, shutdown);

        // The service-account LIST depends on nothing the plan finds: it runs while the plan is made.
        var targets = RunPlanner.Targets(config, options);
        var accountsListing = RunPlanner.IsClusterWide(targets, options, config.Settings.Prune)
            ? ServiceAccountIndex.ListAsync(kubernetes.Client, targets.SelectMany(t => t.ServiceAccounts), early.Token)
            : Task.FromResult(new ServiceAccountIndex());
        var plan = await planner.PlanAsync(config, options, early.Token);
        var (credentials, fetched, accounts) = plan.Interrupted
            ? ([], [], await AccountsOrEmptyAsync(accountsListing))
            : await PrepareAsync(plan, accountsListing, new FetchDeadline(config.Settings.Timeout, deadline.Token), early.Token);
        var context = new RunContext
        {
            Settings = config.Settings,
            Credentials = credentials,
            RegistryResults = fetched,
            Listed = plan.Listing.Secrets,
            Accounts = accounts,
            DryRun = options.DryRun,
            Force = options.Force,
            Now = plan.Now,
            CancellationToken = deadline.Token,
        };

        // Each item's outcome in its own slot (no shared collection to contend for), gathered in plan order after.
        var items = plan.Items;
        var outcomes = new (TargetResult? NotStarted, WrittenSecret? Written)[items.Count];
        await IndexedParallel.ForEachAsync(items.Count, config.Settings.Concurrency, async i =>
        {
            var item = items[i];
            outcomes[i] = NotStarted(item, config, shutdown, deadline.Token) is { } notStarted
                ? (notStarted, null)
                : (null, await reconciler.WriteSecretAsync(item.Target, item.Namespace, context));
        });
        var results = new List<TargetResult>(plan.Unresolved);
        var written = new List<(PlannedSecret, WrittenSecret)>(items.Count);
        for (var i = 0; i < items.Count; i++)
        {
            if (outcomes[i].NotStarted is { } notStarted) results.Add(notStarted);
            else written.Add((items[i], outcomes[i].Written!));
        }
        results.AddRange(await accountBatch.EnsureAsync(written, context, config.Settings.Concurrency));

        if (config.Settings.Prune && options.Secret is null && !plan.ResolutionFailed && !shutdown.IsCancellationRequested)
        {
            results.AddRange(await pruner.PruneAsync(plan.Orphans(), options.DryRun, accounts, deadline.Token, shutdown));
        }

        var report = RunReportBuilder.Build(results, plan, fetched, options.DryRun);
        recorder.Pass(report, plan.Targets, plan.Now, time.GetElapsedTime(started));
        return report;
    }

    /// <summary>
    /// Fetches the due credentials and waits for the service-account listing (cluster-wide passes only). A fetch cut by
    /// the deadline is a registry failure (reason timeout, naming the endpoint that hung); one cut by shutdown is not.
    /// </summary>
    private async Task<(Dictionary<string, RegistryCredential>, Dictionary<string, RegistryResult>, ServiceAccountIndex)> PrepareAsync(
        RunPlan plan, Task<ServiceAccountIndex> accountsListing, FetchDeadline deadline, CancellationToken cancellationToken)
    {
        var fresh = new Dictionary<string, RegistryCredential>(StringComparer.Ordinal);
        var fetched = new Dictionary<string, RegistryResult>(StringComparer.Ordinal);
        var accounts = new ServiceAccountIndex();
        try
        {
            (fresh, fetched) = await fetcher.FetchAsync(plan.Due, plan.Config.Settings.Verify, cancellationToken, deadline);
            accounts = await accountsListing;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopped before any write: every planned target is reported not_done, nothing is half done.
            accounts = await AccountsOrEmptyAsync(accountsListing);
        }
        return (fresh, fetched, accounts);
    }

    /// <summary>The listing, or an empty index if it was cancelled (always awaited, so its failure is observed).</summary>
    private static async Task<ServiceAccountIndex> AccountsOrEmptyAsync(Task<ServiceAccountIndex> listing)
    {
        try
        {
            return await listing;
        }
        catch (OperationCanceledException)
        {
            return new ServiceAccountIndex();
        }
    }

    private static TargetResult? NotStarted(PlannedSecret item, RotatorConfig config, CancellationToken shutdown, CancellationToken deadline) =>
        shutdown.IsCancellationRequested || deadline.IsCancellationRequested
            ? new TargetResult(item.Target.Name, item.Namespace, Outcome.Failed, "not_done",
                shutdown.IsCancellationRequested ? "not done: shutting down" : $"not done: run timeout {Duration.Format(config.Settings.Timeout)} reached")
            : null;
}
