using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace SecretRotator.Tests.Fakes.Kubernetes;

/// <summary>
/// A watch response: newline-delimited {"type","object"} events, each flushed, until the client leaves, timeoutSeconds
/// elapse or the fake stops. A selector-filtered watch sees an object leaving the selection as DELETED, entering as ADDED.
/// With allowWatchBookmarks=true it also gets a BOOKMARK (kind, apiVersion, metadata.resourceVersion only) every interval.
/// </summary>
internal sealed class WatchStream(FakeKubeStore store, HttpContext context, KubeRequestInfo info, WatchBookmarks bookmarks)
{
    private readonly int _stream = bookmarks.OpenStream();
    private readonly KubeResource _resource = KubeResource.Find(info.Resource)!;

    public async Task RunAsync(Func<JsonObject, bool> filter, CancellationToken cancellationToken)
    {
        var query = context.Request.Query;
        var from = long.TryParse(query["resourceVersion"], CultureInfo.InvariantCulture, out var rv) ? rv : (long?)null;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (int.TryParse(query["timeoutSeconds"], CultureInfo.InvariantCulture, out var seconds) && seconds > 0)
        {
            timeout.CancelAfter(TimeSpan.FromSeconds(seconds));
        }
        var response = context.Response;
        response.StatusCode = 200;
        response.ContentType = "application/json";
        (List<StoredEvent> Initial, System.Threading.Channels.ChannelReader<StoredEvent> Live, FakeKubeStore.WatchSubscription Subscription) watch;
        try
        {
            watch = store.Watch(_resource, from);
        }
        catch (KubeStatusException e)
        {
            await WriteEventAsync("ERROR", e.Body, cancellationToken); // how the apiserver reports 410 on a watch
            return;
        }
        using var subscription = watch.Subscription;
        await response.StartAsync(cancellationToken);
        await response.Body.FlushAsync(cancellationToken);
        var bookmarking = query["allowWatchBookmarks"] == "true" && bookmarks.Interval is { } interval
            ? RequestBookmarksAsync(subscription, interval, timeout.Token)
            : Task.CompletedTask;
        try
        {
            foreach (var stored in watch.Initial)
            {
                await SendAsync(stored, filter, timeout.Token);
            }
            await foreach (var stored in watch.Live.ReadAllAsync(timeout.Token))
            {
                await SendAsync(stored, filter, timeout.Token);
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            // timeoutSeconds elapsed: the apiserver ends the stream cleanly
        }
        finally
        {
            await timeout.CancelAsync();
            await bookmarking;
        }
    }

    private static async Task RequestBookmarksAsync(FakeKubeStore.WatchSubscription subscription, TimeSpan interval, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                subscription.RequestBookmark();
            }
        }
        catch (OperationCanceledException)
        {
            // the stream ended
        }
    }

    private async Task SendAsync(StoredEvent stored, Func<JsonObject, bool> filter, CancellationToken cancellationToken)
    {
        if (stored.Resource != _resource)
        {
            return; // the store's live feed carries every resource's changes
        }
        if (stored.Type == StoredEvent.Bookmark)
        {
            await WriteEventAsync(stored.Type, stored.Object, cancellationToken);
            bookmarks.Record(new SentBookmark(_stream, stored.Resource.Plural, stored.ResourceVersion));
            return;
        }
        var now = filter(stored.Object);
        var before = stored.Previous is not null && filter(stored.Previous);
        var type = stored.Type switch
        {
            "MODIFIED" => (before, now) switch { (true, true) => "MODIFIED", (false, true) => "ADDED", (true, false) => "DELETED", _ => null },
            _ => now ? stored.Type : null,
        };
        if (type is not null)
        {
            await WriteEventAsync(type, stored.Object, cancellationToken);
        }
    }

    private async Task WriteEventAsync(string type, JsonObject obj, CancellationToken cancellationToken)
    {
        var line = new JsonObject { ["type"] = type, ["object"] = obj.DeepClone() }.ToJsonString(FakeKubeHandler.Wire) + "\n";
        await context.Response.WriteAsync(line, cancellationToken);
        await context.Response.Body.FlushAsync(cancellationToken);
    }
}
