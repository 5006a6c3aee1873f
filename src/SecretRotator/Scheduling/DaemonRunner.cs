using Microsoft.Extensions.Logging;
using SecretRotator.Configuration;
using SecretRotator.Kubernetes.Watching;

namespace SecretRotator.Scheduling;

/// <summary>
/// The leader's work, from gaining the lease to losing it or shutting down: fetch every registry, list and watch the
/// cluster (<see cref="ClusterWatches"/>), one full pass (<see cref="DaemonPass"/>, the pass `run` makes), then serve watch
/// events from the queue with <c>settings.concurrency</c> workers (<see cref="TargetReconciler"/>). Registry refreshes
/// and resyncs run further full passes from their Quartz jobs.
/// </summary>
public sealed partial class DaemonRunner(
    RotatorConfig config,
    ClusterWatches watches,
    ClusterState state,
    ReconcileBacklog queue,
    TargetReconciler reconciler,
    RegistryRefresher refresher,
    DaemonPass pass,
    DaemonStatus status,
    WatchHealth health,
    ILogger<DaemonRunner> logger)
{
    /// <param name="leader">Cancelled when the lease is lost: everything stops at once.</param>
    /// <param name="stopping">Cancelled on shutdown: no new work starts, in-flight writes finish.</param>
    public async Task RunAsync(CancellationToken leader, CancellationToken stopping)
    {
        using var noNewWork = CancellationTokenSource.CreateLinkedTokenSource(leader, stopping);
        state.Synced = false;
        state.Clear();
        queue.Clear();
        var loops = new List<(string Resource, Task Loop)>();
        try
        {
            loops.AddRange(watches.StartMirrorSources(noNewWork.Token));
            // Always a fetch: while this replica stood by, the leader may have fetched newer credentials than its cache holds.
            await Task.WhenAll(config.Registries.Select(r => refresher.RefreshAsync(r.Name, fullPass: false, fetch: true, noNewWork.Token)));
            var (cluster, listed) = watches.StartCluster(noNewWork.Token);
            loops.AddRange(cluster);
            await listed.WaitAsync(noNewWork.Token);
            state.Synced = true;

            var report = await pass.RunAsync("first", leader, stopping);
            status.FirstPassDone = true;
            LogFirstPass(logger, report?.Targets.Count ?? 0);

            await Task.WhenAll(Enumerable.Range(0, config.Settings.Concurrency).Select(_ => WorkAsync(leader, noNewWork.Token)));
        }
        catch (OperationCanceledException) when (noNewWork.IsCancellationRequested)
        {
            // lease lost or shutting down
        }
        await noNewWork.CancelAsync();
        await Task.WhenAll(loops.Select(l => l.Loop));
        foreach (var (resource, _) in loops) health.Unregister(resource);
    }

    private async Task WorkAsync(CancellationToken leader, CancellationToken noNewWork)
    {
        while (await queue.TakeAsync(noNewWork) is { } key)
        {
            try
            {
                await reconciler.ReconcileAsync(key, leader);
            }
            catch (OperationCanceledException) when (leader.IsCancellationRequested)
            {
                return;
            }
            finally
            {
                queue.Done();
            }
        }
    }

    [LoggerMessage(EventId = 5401, Level = LogLevel.Information, Message = "First full pass done: {Count} (secret, namespace) pairs")]
    private static partial void LogFirstPass(ILogger logger, int count);
}
