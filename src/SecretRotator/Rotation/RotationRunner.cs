using SecretRotator.Configuration;
using SecretRotator.Kubernetes;
using SecretRotator.Registries;
using SecretRotator.Threading;

namespace SecretRotator.Rotation;

/// <summary>
/// One full pass, the same code for <c>run</c> and the daemon, in named phases: plan (<see cref="RunPlanner"/>), get the
/// due credentials (<see cref="ICredentialSource"/>: fetched by <see cref="CredentialFetcher"/>, or the daemon's cache),
/// write every (secret, namespace) with bounded concurrency (<see cref="SecretReconciler"/>), then each service account
/// once with all its secrets (<see cref="ServiceAccountBatch"/>), prune (<see cref="Pruner"/>), report
/// (<see cref="RunReportBuilder"/>) and record (<see cref="IRunObserver"/>). Only where the cluster is read from
/// (<see cref="IClusterSnapshot"/>) and where credentials come from differ between the modes.
/// </summary>
public sealed class RotationRunner(
    RunPlanner planner,
    CredentialFetcher fetcher,
    SecretReconciler reconciler,
    ServiceAccountBatch accountBatch,
    Pruner pruner,
    IRunObserver recorder,
    TimeProvider time)
{
    /// <summary>`run`: the cluster from LISTs, the due credentials fetched now.</summary>
    /// <param name="shutdown">Cancelled on SIGTERM/Ctrl-C: no new write starts, in-flight writes finish.</param>
    public Task<RunReport> RunAsync(RotatorConfig config, RunOptions options, CancellationToken shutdown) =>
        RunAsync(config, options, planner.Listed(), fetcher, shutdown);

    /// <param name="cluster">Where the pass reads namespaces, managed secrets and service accounts.</param>
    /// <param name="credentials">Where the due credentials come from.</param>
    /// <param name="shutdown">Cancelled on SIGTERM/Ctrl-C: no new write starts, in-flight writes finish.</param>
    /// <param name="abort">Cancelled when writes must stop at once, in flight or not (the daemon lost its lease).</param>
    public async Task<RunReport> RunAsync(RotatorConfig config, RunOptions options, IClusterSnapshot cluster, ICredentialSource credentialSource,
        CancellationToken shutdown, CancellationToken abort = default)
    {
        try
        {
            return await PassAsync(config, options, cluster, credentialSource, shutdown, abort);
        }
        finally
        {
            ContentMemos.Forget();
        }
    }

    private async Task<RunReport> PassAsync(RotatorConfig config, RunOptions options, IClusterSnapshot cluster, ICredentialSource credentialSource,
        CancellationToken shutdown, CancellationToken abort)
    {
        var started = time.GetTimestamp();
        // The run's deadline bounds every API call; shutdown alone does not abort a write already sent.
        using var deadline = new CancellationTokenSource(config.Settings.Timeout, time);
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, abort);
        using var early = CancellationTokenSource.CreateLinkedTokenSource(bounded.Token, shutdown);

        // The service-account LIST depends on nothing the plan finds: it runs while the plan is made.
        var targets = RunPlanner.Targets(config, options);
        var accountsListing = cluster.ServiceAccountsAsync(targets.SelectMany(t => t.ServiceAccounts),
            RunPlanner.IsClusterWide(targets, options, config.Settings.Prune), early.Token);
        var plan = await planner.PlanAsync(config, options, config.Settings.Prune, cluster, early.Token);
        var (credentials, fetched, accounts) = plan.Interrupted
            ? ([], [], await AccountsOrEmptyAsync(accountsListing))
            : await PrepareAsync(plan, credentialSource, accountsListing, new FetchDeadline(config.Settings.Timeout, deadline.Token), early.Token);
        var context = new RunContext
        {
            Settings = config.Settings,
            Credentials = credentials,
            RegistryResults = fetched,
            Listed = plan.Listing.Secrets,
            Accounts = accounts,
            DryRun = options.DryRun,
            Force = options.Force,
            LookAhead = options.LookAhead,
            NamespaceCreated = cluster.NamespaceCreatedAsync,
            Now = plan.Now,
            CancellationToken = bounded.Token,
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

        // Never from a partial picture: a target whose namespaces could not be resolved, or a watch cache mid-relist,
        // would make selected secrets look orphaned.
        if (config.Settings.Prune && options.Secret is null && !plan.ResolutionFailed && !plan.Interrupted && cluster.Complete && !shutdown.IsCancellationRequested)
        {
            results.AddRange(await pruner.PruneAsync(plan.Orphans(), options.DryRun, accounts, bounded.Token, shutdown));
        }

        var report = RunReportBuilder.Build(results, plan, fetched, options.DryRun);
        recorder.Pass(report, plan.Targets, plan.Now, time.GetElapsedTime(started));
        return report;
    }

    /// <summary>
    /// Fetches the due credentials and waits for the service-account listing (cluster-wide passes only). A fetch cut by
    /// the deadline is a registry failure (reason timeout, naming the endpoint that hung); one cut by shutdown is not.
    /// </summary>
    private static async Task<(Dictionary<string, RegistryCredential>, Dictionary<string, RegistryResult>, ServiceAccountIndex)> PrepareAsync(
        RunPlan plan, ICredentialSource credentialSource, Task<ServiceAccountIndex> accountsListing, FetchDeadline deadline, CancellationToken cancellationToken)
    {
        var fresh = new Dictionary<string, RegistryCredential>(StringComparer.Ordinal);
        var fetched = new Dictionary<string, RegistryResult>(StringComparer.Ordinal);
        var accounts = new ServiceAccountIndex();
        try
        {
            (fresh, fetched) = await credentialSource.FetchAsync(plan.Due, plan.Config.Settings.Verify, cancellationToken, deadline);
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
