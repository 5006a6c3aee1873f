using System.Runtime.CompilerServices;
using System.Text.Json;
using k8s;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using SecretRotator.Kubernetes.Watching;
using SecretRotator.Telemetry;

namespace SecretRotator.Tests.Kubernetes.Watching;

/// <summary>
/// A watch event the client cannot decode (the library reports it through onError and reads on, dropping it) must
/// not be lost silently: the stream stops, the watcher relists and says why.
/// </summary>
public sealed class ResourceWatcherDecodeTests : IDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();

    [Fact]
    public async Task RunAsync_UndecodableEvent_RelistsAndCountsDecodeRestart()
    {
        // Arrange: the first list holds team-a; the watch reports a line it could not decode, then would stay open.
        var lists = 0;
        var relisted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var source = new WatchSource<V1Namespace>("namespaces",
            (_, _) =>
            {
                if (++lists == 2) relisted.TrySetResult();
                IList<V1Namespace> items = [new V1Namespace { Metadata = new V1ObjectMeta { Name = lists == 1 ? "team-a" : "team-b", ResourceVersion = $"{lists}" } }];
                return Task.FromResult((items, $"{lists}"));
            },
            (_, _, _, onError, ct) => UndecodableThenOpen(onError, ct));
        var sink = new RecordingSink();
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var meters = _services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        using var metrics = new RotatorMetrics(meters);
        using var restarts = new MetricCollector<long>(meters, RotatorMetrics.MeterName, MetricNames.WatchRestarts);
        var logs = new FakeLogCollector();
        var watcher = new ResourceWatcher<V1Namespace>(source, null!, sink, new WatchHealth(time),
            new WatchBackoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(5), new Random(1)), metrics, time,
            new FakeLogger(logs));
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);

        // Act: run until the backoff wait, pass it, and see the relist.
        var run = watcher.RunAsync(stop.Token);
        await watcher.FirstListed;
        for (var step = 0; step < 300 && !relisted.Task.IsCompleted; step++)
        {
            time.Advance(TimeSpan.FromMilliseconds(100));
            await Task.WhenAny(relisted.Task, Task.Delay(10, TestContext.Current.CancellationToken));
        }
        await stop.CancelAsync();
        await run;

        // Assert
        Assert.True(relisted.Task.IsCompleted, "no relist after an undecodable event (30 s of fake time)");
        Assert.Equal(["team-a", "team-b"], sink.Replaced);
        Assert.Contains(restarts.GetMeasurementSnapshot(), m => Equals(m.Tags["reason"], "decode"));
        Assert.Contains(logs.GetSnapshot(), r => r.Message.Contains("cannot decode a watch event", StringComparison.Ordinal));
    }

    private static async IAsyncEnumerable<(WatchEventType, V1Namespace)> UndecodableThenOpen(Action<Exception> onError,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        onError(new JsonException("The JSON value could not be converted to k8s.Watcher`1+WatchEvent[V1Namespace]."));
        await Task.Delay(Timeout.Infinite, cancellationToken);
        yield break;
    }

    public void Dispose() => _services.Dispose();

    private sealed class RecordingSink : IWatchSink<V1Namespace>
    {
        public List<string> Replaced { get; } = [];

        public ValueTask ReplaceAsync(IList<V1Namespace> items, CancellationToken cancellationToken)
        {
            Replaced.AddRange(items.Select(i => i.Metadata.Name));
            return ValueTask.CompletedTask;
        }

        public ValueTask ApplyAsync(WatchEventType type, V1Namespace item, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }
}
