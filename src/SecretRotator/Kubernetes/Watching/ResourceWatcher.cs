using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace SecretRotator.Kubernetes.Watching;

/// <summary>How one resource is listed and watched (the generated client has one method pair per resource).</summary>
/// <param name="Resource">Plural name, for logs, metrics and health ("namespaces").</param>
public sealed record WatchSource<T>(
    string Resource,
    Func<IKubernetes, CancellationToken, Task<(IList<T> Items, string ResourceVersion)>> List,
    Func<IKubernetes, string, int, Action<Exception>, CancellationToken, IAsyncEnumerable<(WatchEventType, T)>> Watch)
    where T : IKubernetesObject<V1ObjectMeta>;

/// <summary>Receives what a watcher sees. Called from the watch loop: must not block for long nor mutate the objects.</summary>
public interface IWatchSink<T>
{
    /// <summary>A full (re)list: the complete current state.</summary>
    ValueTask ReplaceAsync(IList<T> items, CancellationToken cancellationToken);

    ValueTask ApplyAsync(WatchEventType type, T item, CancellationToken cancellationToken);
}

/// <summary>
/// One list-then-watch loop, as client-go's reflector and KubeOps' watcher do it: list, watch from that resourceVersion
/// with bookmarks, resume from the last version seen when the server closes the stream; on 410 Gone relist; on errors
/// and dropped streams re-watch after jittered exponential backoff. Never a busy loop: a stream that ends at once
/// without progress counts as a failure. Every step is reported to <see cref="WatchHealth"/>.
/// </summary>
public sealed partial class ResourceWatcher<T>(
    WatchSource<T> source,
    IKubernetes client,
    IWatchSink<T> sink,
    WatchHealth health,
    WatchBackoff backoff,
    Telemetry.RotatorMetrics metrics,
    TimeProvider time,
    ILogger logger)
    where T : IKubernetesObject<V1ObjectMeta>
{
    private readonly TaskCompletionSource _listed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes after the first successful list has been handed to the sink.</summary>
    public Task FirstListed => _listed.Task;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        health.Register(source.Resource);
        string? version = null;
        var failures = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            string reason;
            try
            {
                if (version is null)
                {
                    var (items, listedVersion) = await source.List(client, cancellationToken);
                    await sink.ReplaceAsync(items, cancellationToken);
                    version = listedVersion;
                    health.Progress(source.Resource);
                    _listed.TrySetResult();
                    LogListed(logger, source.Resource, items.Count, version);
                }
                var (lastVersion, events, error) = await WatchOnceAsync(version, cancellationToken);
                version = lastVersion;
                if (error is KubernetesException { Status.Code: (int)HttpStatusCode.Gone })
                {
                    // The version we hold has been compacted away: only a new list can tell what changed.
                    metrics.WatchRestart(source.Resource, "expired");
                    LogExpired(logger, source.Resource);
                    version = null;
                    failures = 0;
                    continue;
                }
                if (error is null && events > 0)
                {
                    // The server ended a healthy stream (its timeout): resume at once from the last version seen.
                    metrics.WatchRestart(source.Resource, "closed");
                    failures = 0;
                    continue;
                }
                reason = error is null ? "empty" : "error";
                if (error is not null) LogStreamError(logger, source.Resource, error.Message);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            catch (HttpOperationException e)
            {
                reason = e.Response.StatusCode == HttpStatusCode.GatewayTimeout ? "timeout" : $"http_{(int)e.Response.StatusCode}";
                LogStreamError(logger, source.Resource, $"HTTP {(int)e.Response.StatusCode}");
            }
            catch (Exception e) when (e is HttpRequestException or IOException or KubernetesException or OperationCanceledException)
            {
                reason = "disconnected";
                LogStreamError(logger, source.Resource, e.Message);
            }
            failures++;
            metrics.WatchRestart(source.Resource, reason);
            var delay = backoff.Delay(failures);
            LogBackingOff(logger, source.Resource, reason, (long)delay.TotalMilliseconds);
            try
            {
                await Task.Delay(delay, time, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    private async Task<(string Version, int Events, Exception? Error)> WatchOnceAsync(string version, CancellationToken cancellationToken)
    {
        Exception? error = null;
        var events = 0;
        await foreach (var (type, item) in source.Watch(client, version, backoff.WatchTimeoutSeconds(), e => error = e, cancellationToken))
        {
            events++;
            health.Progress(source.Resource);
            if (item?.Metadata?.ResourceVersion is { Length: > 0 } seen) version = seen;
            if (type is WatchEventType.Bookmark) continue;
            if (type is WatchEventType.Error) break;
            metrics.WatchEvent(source.Resource, type.ToString().ToLowerInvariant());
            await sink.ApplyAsync(type, item!, cancellationToken);
        }
        // A server-side timeout ends the stream cleanly after a healthy period: that too is progress.
        if (error is null) health.Progress(source.Resource);
        return (version, events, error);
    }

    [LoggerMessage(EventId = 5101, Level = LogLevel.Debug, Message = "Listed {Resource}: {Count} objects at resourceVersion {ResourceVersion}")]
    private static partial void LogListed(ILogger logger, string resource, int count, string resourceVersion);

    [LoggerMessage(EventId = 5102, Level = LogLevel.Information, Message = "Watch of {Resource}: resourceVersion expired (410 Gone); relisting")]
    private static partial void LogExpired(ILogger logger, string resource);

    [LoggerMessage(EventId = 5103, Level = LogLevel.Warning, Message = "Watch of {Resource} failed: {Error}")]
    private static partial void LogStreamError(ILogger logger, string resource, string error);

    [LoggerMessage(EventId = 5104, Level = LogLevel.Information, Message = "Watch of {Resource} restarts ({Reason}) in {DelayMs} ms")]
    private static partial void LogBackingOff(ILogger logger, string resource, string reason, long delayMs);
}
