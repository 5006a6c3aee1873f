using System.Net;
using k8s;
using k8s.Autorest;
using k8s.LeaderElection;
using k8s.LeaderElection.ResourceLock;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SecretRotator.Kubernetes;
using SecretRotator.Telemetry;

namespace SecretRotator.Scheduling;

/// <summary>
/// Holds the leader Lease (coordination.k8s.io) with KubernetesClient's <see cref="LeaderElector"/>, in a loop that tries
/// again after leadership is lost (the elector returns then). While leading it runs the <see cref="DaemonRunner"/>; losing
/// the lease cancels the leader token at once. On shutdown the runner drains first, then the lease is released (holder
/// cleared, as client-go's ReleaseOnCancel does, which this library lacks), so a standby takes over at its next retry
/// instead of after the lease duration. With <c>--leader-elect false</c> this replica leads unconditionally.
/// </summary>
public sealed partial class LeaderElectionService(
    DaemonRunner runner,
    Leadership leadership,
    DaemonStatus status,
    ReconcileBacklog backlog,
    IKubernetesClientProvider kubernetes,
    RotatorMetrics metrics,
    IOptions<DaemonOptions> options,
    TimeProvider time,
    ILogger<LeaderElectionService> logger) : BackgroundService
{
    /// <summary>Unix milliseconds of the last answer about the Lease; the election's start until the first one.</summary>
    private long _leaseObserved;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var stopping = stoppingToken;
        var o = options.Value;
        metrics.AttachDaemon(() => backlog.Depth, () => leadership.IsLeader);
        if (o.LeaderElect)
        {
            NoteLeaseObserved();
            metrics.AttachLeaderElection(() => DateTimeOffset.FromUnixTimeMilliseconds(Interlocked.Read(ref _leaseObserved)));
        }
        status.ElectionRunning = true;
        try
        {
            if (!o.LeaderElect)
            {
                await runner.RunAsync(leadership.Start(), stopping);
                return;
            }
            while (!stopping.IsCancellationRequested)
            {
                await ElectOnceAsync(o, stopping);
                if (!stopping.IsCancellationRequested) await Task.Delay(o.RetryPeriod, time, stopping);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            LogElectionFailed(logger, e.Message);
            status.Failed($"leader election loop ended: {e.GetType().Name}");
            throw;
        }
        finally
        {
            leadership.Stop();
            status.ElectionRunning = false;
        }
    }

    private async Task ElectOnceAsync(DaemonOptions o, CancellationToken stopping)
    {
        var lease = new ObservedLeaseLock(new LeaseLock(kubernetes.Client, o.LeaseNamespace, o.LeaseName, o.Identity), NoteLeaseObserved);
        using var elector = new LeaderElector(new LeaderElectionConfig(lease)
        {
            LeaseDuration = o.LeaseDuration,
            RenewDeadline = o.RenewDeadline,
            RetryPeriod = o.RetryPeriod,
        });
        Task work = Task.CompletedTask;
        var led = false;
        elector.OnStartedLeading += () =>
        {
            led = true;
            LogStartedLeading(logger, o.Identity, o.LeaseNamespace, o.LeaseName);
            work = runner.RunAsync(leadership.Start(), stopping);
        };
        elector.OnStoppedLeading += () =>
        {
            leadership.Stop(); // before anything else: no write may start from here on
            if (!stopping.IsCancellationRequested) LogStoppedLeading(logger, o.Identity);
        };
        elector.OnNewLeader += leader => LogNewLeader(logger, leader);

        // The elector keeps renewing until the runner has drained on shutdown, so in-flight writes finish under the lease.
        using var release = new CancellationTokenSource();
        var electing = elector.RunUntilLeadershipLostAsync(release.Token);
        await Task.WhenAny(electing, Task.Delay(Timeout.Infinite, stopping).ContinueWith(_ => { }, TaskScheduler.Default));
        if (stopping.IsCancellationRequested)
        {
            await work;
            await release.CancelAsync();
        }
        try
        {
            await electing;
        }
        catch (OperationCanceledException) when (release.IsCancellationRequested)
        {
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogElectorError(logger, e.Message);
        }
        leadership.Stop();
        await work;
        if (led && stopping.IsCancellationRequested) await ReleaseAsync(o);
    }

    private void NoteLeaseObserved() => Interlocked.Exchange(ref _leaseObserved, time.GetUtcNow().ToUnixTimeMilliseconds());

    /// <summary>
    /// Clears the holder (empty, not null: the elector would try to create a Lease whose holder is null, and meet 409
    /// forever), with a 1 s duration, as client-go's release does. Not releasing is not a failure: the standby then
    /// waits out the lease, as before.
    /// </summary>
    private async Task ReleaseAsync(DaemonOptions o)
    {
        // The stopping token is cancelled by now: the release has its own budget, well inside the host's shutdown timeout.
        using var budget = new CancellationTokenSource(o.RenewDeadline, time);
        var leases = kubernetes.Client.CoordinationV1;
        try
        {
            // A renew that was in flight when the elector stopped can land first: re-read on 409 while the lease is ours.
            for (var attempt = 1; ; attempt++)
            {
                var current = await leases.ReadNamespacedLeaseAsync(o.LeaseName, o.LeaseNamespace, cancellationToken: budget.Token);
                if (current.Spec?.HolderIdentity != o.Identity) return;
                var now = time.GetUtcNow().UtcDateTime;
                current.Spec.HolderIdentity = "";
                current.Spec.LeaseDurationSeconds = 1;
                current.Spec.AcquireTime = current.Spec.RenewTime = now;
                try
                {
                    await leases.ReplaceNamespacedLeaseAsync(current, o.LeaseName, o.LeaseNamespace, cancellationToken: budget.Token);
                    LogReleased(logger, o.Identity, o.LeaseNamespace, o.LeaseName);
                    return;
                }
                catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict && attempt < 3)
                {
                }
            }
        }
        catch (Exception e) when (e is HttpOperationException or HttpRequestException or OperationCanceledException)
        {
            LogReleaseFailed(logger, o.LeaseNamespace, o.LeaseName, e.Message);
        }
    }

    [LoggerMessage(EventId = 5501, Level = LogLevel.Information, Message = "{Identity} is now the leader (lease {Namespace}/{Lease})")]
    private static partial void LogStartedLeading(ILogger logger, string identity, string @namespace, string lease);

    [LoggerMessage(EventId = 5502, Level = LogLevel.Warning, Message = "{Identity} lost the lease: writes stopped")]
    private static partial void LogStoppedLeading(ILogger logger, string identity);

    [LoggerMessage(EventId = 5503, Level = LogLevel.Information, Message = "Leader is {Leader}")]
    private static partial void LogNewLeader(ILogger logger, string leader);

    [LoggerMessage(EventId = 5504, Level = LogLevel.Warning, Message = "Leader election failed: {Error}; retrying")]
    private static partial void LogElectorError(ILogger logger, string error);

    [LoggerMessage(EventId = 5506, Level = LogLevel.Information, Message = "{Identity} released the lease {Namespace}/{Lease}")]
    private static partial void LogReleased(ILogger logger, string identity, string @namespace, string lease);

    [LoggerMessage(EventId = 5507, Level = LogLevel.Warning, Message = "Could not release the lease {Namespace}/{Lease}: {Error}; a standby takes over when it expires")]
    private static partial void LogReleaseFailed(ILogger logger, string @namespace, string lease, string error);

    [LoggerMessage(EventId = 5505, Level = LogLevel.Critical, Message = "Leader election loop ended: {Error}")]
    private static partial void LogElectionFailed(ILogger logger, string error);
}
