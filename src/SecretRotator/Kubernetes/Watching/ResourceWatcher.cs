using System.Net;
using System.Text.Json;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace SecretRotator.Kubernetes.Watching;

/// <summary>How one resource is listed and watched (the generated client has one method pair per resource).</summary>
/// <param name="Resource">Plural name, for logs, metrics and health ("namespaces").</param>
/// <param name="Rule">The RBAC rule the list and watch need, for the message when they are refused (403).</param>
public sealed record WatchSource<T>(
    string Resource,
    Func<IKubernetes, CancellationToken, Task<(IList<T> Items, string ResourceVersion)>> List,
    Func<IKubernetes, string, int, Action<Exception>, CancellationToken, IAsyncEnumerable<(WatchEventType, T)>> Watch,
    string Rule = "the list and watch verbs on this resource")
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
    IWatchMetrics metrics,
    TimeProvider time,
    ILogger logger)
    where T : IKubernetesObject<V1ObjectMeta>
{
    /// <summary>A stream that ends sooner than this without any event is treated as a failure (backoff), never re-opened at once.</summary>
    private static readonly TimeSpan MinimumHealthyStream = TimeSpan.FromSeconds(1);

    private readonly TaskCompletionSource _listed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string Resource => source.Resource;

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
                var opened = time.GetTimestamp();
                var (lastVersion, events, error) = await WatchOnceAsync(version, cancellationToken);
                version = lastVersion;
                if (error is JsonException or NotSupportedException)
                {
                    // An event this build cannot decode: resuming from the same version would meet it again, and
                    // skipping it would lose it. A relist reads the current state; back off as for any failure.
                    version = null;
                }
                else if (error is KubernetesException { Status.Code: (int)HttpStatusCode.Gone })
                {
                    // The version we hold has been compacted away: only a new list can tell what changed.
                    metrics.WatchRestart(source.Resource, "expired");
                    LogExpired(logger, source.Resource);
                    version = null;
                    failures = 0;
                    continue;
                }
                // A stream that was up (it delivered events, or lasted a while) and then ended, whether by the server's
                // timeout or a broken connection, resumes at once from the last version seen: that is progress.
                else if (events > 0 || (time.GetElapsedTime(opened) >= MinimumHealthyStream && error is not HttpOperationException))
                {
                    health.Progress(source.Resource);
                    metrics.WatchRestart(source.Resource, error is null ? "closed" : "disconnected");
                    if (error is not null) LogStreamError(logger, source.Resource, error.Message);
                    failures = 0;
                    continue;
                }
                (reason, var message) = Describe(error);
                LogStreamError(logger, source.Resource, message);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is HttpOperationException or HttpRequestException or IOException or KubernetesException or OperationCanceledException)
            {
                // The list failed.
                (reason, var message) = Describe(e);
                LogStreamError(logger, source.Resource, message);
            }
            failures++;
            metrics.WatchRestart(source.Resource, reason);
            if (reason == "http_403")
            {
                // Retrying cannot help until someone grants the rule: say which, and keep /readyz failing meanwhile.
                health.Forbidden(source.Resource, source.Rule);
                LogForbidden(logger, source.Resource, source.Rule);
            }
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
        // The library reports a line it cannot decode (or an error Status) through onError and reads on, dropping the
        // event: stop the stream at the first one instead, so the caller restarts (or relists) and the event is not lost.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            await foreach (var (type, item) in source.Watch(client, version, backoff.WatchTimeoutSeconds(), e =>
                           {
                               error ??= e;
                               stop.Cancel();
                           }, stop.Token))
            {
                if (type is WatchEventType.Error) break; // reported through onError; not progress
                events++;
                health.Progress(source.Resource);
                if (item?.Metadata?.ResourceVersion is { Length: > 0 } seen) version = seen;
                if (type is WatchEventType.Bookmark) continue;
                metrics.WatchEvent(source.Resource, type.ToString().ToLowerInvariant());
                await sink.ApplyAsync(type, item!, cancellationToken);
            }
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested
                                  && e is HttpOperationException or HttpRequestException or IOException or KubernetesException or OperationCanceledException)
        {
            error ??= e;
        }
        return (version, events, error);
    }

    /// <summary>A metric-safe reason word and a log message (status code or exception message, never a body).</summary>
    private static (string Reason, string Message) Describe(Exception? error) => error switch
    {
        null => ("empty", "stream ended at once without events"),
        HttpOperationException { Response.StatusCode: HttpStatusCode.GatewayTimeout } => ("timeout", "HTTP 504"),
        HttpOperationException h => ($"http_{(int)h.Response.StatusCode}", $"HTTP {(int)h.Response.StatusCode}"),
        KubernetesException k => ("error", $"{k.Status?.Code} {k.Status?.Reason}"),
        JsonException or NotSupportedException => ("decode", $"cannot decode a watch event: {error.Message}"),
        _ => ("disconnected", error.Message),
    };

    [LoggerMessage(EventId = 5101, Level = LogLevel.Debug, Message = "Listed {Resource}: {Count} objects at resourceVersion {ResourceVersion}")]
    private static partial void LogListed(ILogger logger, string resource, int count, string resourceVersion);

    [LoggerMessage(EventId = 5102, Level = LogLevel.Information, Message = "Watch of {Resource}: resourceVersion expired (410 Gone); relisting")]
    private static partial void LogExpired(ILogger logger, string resource);

    [LoggerMessage(EventId = 5103, Level = LogLevel.Warning, Message = "Watch of {Resource} failed: {Error}")]
    private static partial void LogStreamError(ILogger logger, string resource, string error);

    [LoggerMessage(EventId = 5105, Level = LogLevel.Error, Message = "Watch of {Resource} is forbidden (HTTP 403); the daemon's RBAC needs: {Rule}")]
    private static partial void LogForbidden(ILogger logger, string resource, string rule);

    [LoggerMessage(EventId = 5104, Level = LogLevel.Information, Message = "Watch of {Resource} restarts ({Reason}) in {DelayMs} ms")]
    private static partial void LogBackingOff(ILogger logger, string resource, string reason, long delayMs);
}
