using Microsoft.Extensions.Logging;
using Quartz;

namespace SecretRotator.Scheduling;

/// <summary>One Quartz job per registry (key = registry name). Only the leader fetches and writes; a standby's fire is a no-op.</summary>
[DisallowConcurrentExecution]
public sealed partial class RegistryRefreshJob(RegistryRefresher refresher, Leadership leadership, ILogger<RegistryRefreshJob> logger) : IJob
{
    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        var registry = context.JobDetail.Key.Name;
        if (!leadership.IsLeader)
        {
            LogSkipped(logger, registry);
            return;
        }
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, leadership.Token);
        // A manual firing (a mirror source changed) asks for a fetch even when the cached credential is not due.
        var fetch = context.MergedJobDataMap.TryGetValue(FetchKey, out var asked) && asked is true;
        await refresher.RefreshAsync(registry, fullPass: true, fetch, linked.Token);
    }

    public const string FetchKey = "fetch";

    [LoggerMessage(EventId = 5302, Level = LogLevel.Debug, Message = "Registry {Registry}: not the leader, fetch skipped")]
    private static partial void LogSkipped(ILogger logger, string registry);
}
