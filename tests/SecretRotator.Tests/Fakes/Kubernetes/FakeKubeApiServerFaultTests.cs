using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace SecretRotator.Tests.Fakes.Kubernetes;

/// <summary>Fault injection and the request journal, seen through the real KubernetesClient.</summary>
public sealed class FakeKubeApiServerFaultTests : IAsyncLifetime
{
    private FakeKubeApiServer _fake = null!;
    private IKubernetes _client = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _fake = await FakeKubeApiServer.StartAsync(cancellationToken: Ct);
        _client = _fake.CreateClient();
        _fake.AddNamespace("team-a");
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _fake.DisposeAsync();
    }

    [Fact]
    public async Task FailNext_Throttle_Returns429WithRetryAfterAndStatus()
    {
        _fake.FailNext(KubeFault.Throttle(7));

        var e = await Assert.ThrowsAsync<HttpOperationException>(() => _client.CoreV1.ListNamespaceAsync(cancellationToken: Ct));

        Assert.Equal(HttpStatusCode.TooManyRequests, e.Response.StatusCode);
        Assert.Equal(["7"], e.Response.Headers["Retry-After"]);
        var status = KubernetesJson.Deserialize<V1Status>(e.Response.Content);
        Assert.Equal(("TooManyRequests", 7), (status.Reason, status.Details.RetryAfterSeconds));
    }

    [Fact]
    public async Task FailNext_ThrottleUntilDate_SendsHttpDate()
    {
        _fake.FailNext(KubeFault.ThrottleUntil(new DateTimeOffset(2030, 1, 2, 3, 4, 5, TimeSpan.Zero)));

        var e = await Assert.ThrowsAsync<HttpOperationException>(() => _client.CoreV1.ListNamespaceAsync(cancellationToken: Ct));

        Assert.Equal(["Wed, 02 Jan 2030 03:04:05 GMT"], e.Response.Headers["Retry-After"]);
    }

    [Theory]
    [InlineData(500, "InternalError")]
    [InlineData(503, "ServiceUnavailable")]
    [InlineData(504, "Timeout")]
    public async Task FailNext_ServerError_ReturnsStatusWithReason(int code, string reason)
    {
        _fake.FailNext(new KubeFault.ServerError(code));

        var e = await Assert.ThrowsAsync<HttpOperationException>(() => _client.CoreV1.ListNamespaceAsync(cancellationToken: Ct));

        Assert.Equal((HttpStatusCode)code, e.Response.StatusCode);
        Assert.Equal(reason, KubernetesJson.Deserialize<V1Status>(e.Response.Content).Reason);
    }

    [Fact]
    public async Task FailNext_Drop_SurfacesAsHttpRequestException()
    {
        _fake.FailNext(KubeFault.Drop());

        var e = await Record.ExceptionAsync(() => _client.CoreV1.ListNamespaceAsync(cancellationToken: Ct));

        Assert.True(e is HttpRequestException or IOException, $"got {e?.GetType()}");
        Assert.Equal(1, _fake.InjectedFaults.DroppedConnections);
        Assert.NotNull((await _client.CoreV1.ListNamespaceAsync(cancellationToken: Ct)).Items); // only the next request failed
    }

    [Fact]
    public async Task FailNext_DropAfterCommit_WriteLandsButClientSeesDroppedConnection()
    {
        _fake.FailNext(KubeFault.DropAfterCommit());

        var e = await Record.ExceptionAsync(() => _client.CoreV1.CreateNamespaceAsync(Namespace("x"), cancellationToken: Ct));

        Assert.True(e is HttpRequestException or IOException, $"got {e?.GetType()}");
        Assert.NotNull(_fake.GetNamespace("x"));
        Assert.Equal((201, 1), (_fake.Journal.Single().StatusCode, _fake.InjectedFaults.DroppedResponses));
    }

    [Fact]
    public async Task FailNext_Slow_ServesAfterLatency()
    {
        _fake.FailNext(KubeFault.Slow(TimeSpan.FromMilliseconds(20)));

        var list = await _client.CoreV1.ListNamespaceAsync(cancellationToken: Ct);

        Assert.Single(list.Items);
        Assert.Equal(1, _fake.InjectedFaults.Latencies);
        Assert.IsType<KubeFault.Latency>(_fake.Journal.Single().Fault);
    }

    [Fact]
    public async Task FailNext_WithPredicate_HitsOnlyMatchingRequests()
    {
        _fake.FailNext(KubeFault.InternalError(), times: 2, when: r => r.Verb == "create");

        await _client.CoreV1.ListNamespaceAsync(cancellationToken: Ct);
        await Assert.ThrowsAsync<HttpOperationException>(() => _client.CoreV1.CreateNamespaceAsync(Namespace("x"), cancellationToken: Ct));
        await Assert.ThrowsAsync<HttpOperationException>(() => _client.CoreV1.CreateNamespaceAsync(Namespace("x"), cancellationToken: Ct));
        await _client.CoreV1.CreateNamespaceAsync(Namespace("x"), cancellationToken: Ct);

        Assert.Equal([200, 500, 500, 201], _fake.Journal.Select(r => r.StatusCode));
    }

    [Fact]
    public async Task FaultHook_ReturnsFault_AppliesToEveryMatchingRequest()
    {
        _fake.FaultHook = r => r.Resource == "secrets" ? KubeFault.Unavailable() : null;

        await Assert.ThrowsAsync<HttpOperationException>(() => _client.CoreV1.ListNamespacedSecretAsync("team-a", cancellationToken: Ct));
        await Assert.ThrowsAsync<HttpOperationException>(() => _client.CoreV1.ListNamespacedSecretAsync("team-a", cancellationToken: Ct));
        await _client.CoreV1.ListNamespaceAsync(cancellationToken: Ct);

        Assert.Equal(2, _fake.InjectedFaults.ServiceUnavailable);
    }

    [Fact]
    public async Task UseFaultPlan_SameSeed_InjectsSameSequenceAndCountsIt()
    {
        var plan = new FaultPlan(Seed: 42) { TooManyRequests = 0.2, InternalError = 0.2, DropConnection = 0.1, Latency = 0.2, LatencyDelay = TimeSpan.FromMilliseconds(1) };

        var first = await RunSequentialListsAsync(_fake, _client, plan, 40);
        await using var other = await FakeKubeApiServer.StartAsync(cancellationToken: Ct);
        using var otherClient = other.CreateClient();
        var second = await RunSequentialListsAsync(other, otherClient, plan, 40);

        Assert.Equal(first, second);
        var counts = _fake.InjectedFaults;
        Assert.True(counts.TooManyRequests > 0 && counts.InternalErrors > 0 && counts.DroppedConnections > 0 && counts.Latencies > 0, counts.ToString());
        Assert.Equal(counts.Failures, first.Count(s => s != 200));
    }

    [Fact]
    public async Task Journal_RecordsVerbsStatusesAndWrites()
    {
        await _client.CoreV1.ListSecretForAllNamespacesAsync(labelSelector: "a=b", cancellationToken: Ct);
        await _client.CoreV1.CreateNamespacedSecretAsync(new V1Secret { Metadata = new V1ObjectMeta { Name = "s" } }, "team-a", cancellationToken: Ct);
        await Assert.ThrowsAsync<HttpOperationException>(() => _client.CoreV1.ReadNamespacedSecretAsync("missing", "team-a", cancellationToken: Ct));

        Assert.Equal(
            [("list", "secrets", null, null, 200), ("create", "secrets", "team-a", null, 201), ("get", "secrets", "team-a", "missing", 404)],
            _fake.Journal.Select(r => (r.Verb, r.Resource, r.Namespace, r.Name, r.StatusCode)));
        Assert.Contains("labelSelector=a%3Db", _fake.Journal[0].Query, StringComparison.Ordinal);
        Assert.Single(_fake.Writes);
        Assert.Equal(1, _fake.CountRequests("list", "secrets"));
        _fake.ClearJournal();
        Assert.Empty(_fake.Journal);
    }

    private static async Task<List<int>> RunSequentialListsAsync(FakeKubeApiServer fake, IKubernetes client, FaultPlan plan, int count)
    {
        fake.UseFaultPlan(plan);
        for (var i = 0; i < count; i++)
        {
            try
            {
                await client.CoreV1.ListNamespaceAsync(cancellationToken: Ct);
            }
            catch (Exception e) when (e is HttpOperationException or HttpRequestException or IOException)
            {
                // the journal records what happened
            }
        }
        return [.. fake.Journal.Select(r => r.StatusCode)];
    }

    private static V1Namespace Namespace(string name) => new() { Metadata = new V1ObjectMeta { Name = name } };
}
