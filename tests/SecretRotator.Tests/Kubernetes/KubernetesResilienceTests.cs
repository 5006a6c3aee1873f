using System.Net;
using System.Text;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging.Testing;
using SecretRotator.Kubernetes;
using SecretRotator.Tests.Fakes.Kubernetes;

namespace SecretRotator.Tests.Kubernetes;

/// <summary>The retry handler in the real KubernetesClient pipeline against the fake apiserver.</summary>
public sealed class KubernetesResilienceTests : IAsyncLifetime
{
    private readonly FakeLogger _logger = new();
    private FakeKubeApiServer _fake = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _fake = await FakeKubeApiServer.StartAsync(cancellationToken: Ct);
        _fake.AddNamespace("team-a");
    }

    public async ValueTask DisposeAsync() => await _fake.DisposeAsync();

    [Fact]
    public async Task Send_429WithRetryAfterSeconds_WaitsThatLongThenSucceeds()
    {
        var time = new TimerSignallingTimeProvider(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));
        using var client = Client(SlowBackoff, time);
        _fake.FailNext(KubeFault.Throttle(7));

        var call = client.CoreV1.ListNamespaceAsync(cancellationToken: Ct);
        await time.TimerCreated(TimeSpan.FromSeconds(7)).WaitAsync(TimeSpan.FromSeconds(10), Ct);
        Assert.False(call.IsCompleted);
        Assert.Single(_fake.Journal);
        time.Advance(TimeSpan.FromSeconds(7));
        var list = await call;

        Assert.Single(list.Items);
        Assert.Equal([429, 200], _fake.Journal.Select(r => r.StatusCode));
    }

    [Fact]
    public async Task Send_429WithRetryAfterDate_WaitsUntilThatTime()
    {
        var now = new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var time = new TimerSignallingTimeProvider(now);
        using var client = Client(SlowBackoff, time);
        _fake.FailNext(KubeFault.ThrottleUntil(now.AddSeconds(12)));

        var call = client.CoreV1.ListNamespaceAsync(cancellationToken: Ct);
        await time.TimerCreated(TimeSpan.FromSeconds(12)).WaitAsync(TimeSpan.FromSeconds(10), Ct);
        time.Advance(TimeSpan.FromSeconds(12));
        await call;

        Assert.Equal([429, 200], _fake.Journal.Select(r => r.StatusCode));
    }

    [Fact]
    public void RetryAfter_LongerThanMaxDelay_IsCapped()
    {
        using var response = new HttpResponseMessage(HttpStatusCode.TooManyRequests);
        response.Headers.TryAddWithoutValidation("Retry-After", "3600");

        var wait = KubernetesResilience.RetryAfter(response, TimeProvider.System, TimeSpan.FromSeconds(30));

        Assert.Equal(TimeSpan.FromSeconds(30), wait);
    }

    [Fact]
    public async Task Send_TwoInternalErrors_SucceedsOnThirdAttempt()
    {
        using var client = Client();
        _fake.FailNext(KubeFault.InternalError(), times: 2);

        await client.CoreV1.ListNamespaceAsync(cancellationToken: Ct);

        Assert.Equal([500, 500, 200], _fake.Journal.Select(r => r.StatusCode));
    }

    [Theory]
    [InlineData(503)]
    [InlineData(504)]
    public async Task Send_ServerUnavailable_Retried(int code)
    {
        using var client = Client();
        _fake.FailNext(new KubeFault.ServerError(code));

        await client.CoreV1.ReadNamespaceAsync("team-a", cancellationToken: Ct);

        Assert.Equal([code, 200], _fake.Journal.Select(r => r.StatusCode));
    }

    [Fact]
    public async Task Send_DroppedConnection_RetriedAndSucceeds()
    {
        using var client = Client();
        _fake.FailNext(KubeFault.Drop(), when: r => r.Verb == "create");

        await client.CoreV1.CreateNamespacedSecretAsync(Secret("s3cr3t-value"), "team-a", cancellationToken: Ct);

        Assert.Equal([0, 201], _fake.Journal.Select(r => r.StatusCode));
        Assert.Equal("s3cr3t-value", Encoding.UTF8.GetString(_fake.GetSecret("team-a", "regcred")!.Data["password"])); // body re-sent intact
    }

    [Fact]
    public async Task Send_CreateCommittedThenResponseLost_RetryMeetsAlreadyExists()
    {
        using var client = Client();
        _fake.FailNext(KubeFault.DropAfterCommit(), when: r => r.Verb == "create");

        var e = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.CreateNamespacedSecretAsync(Secret("v"), "team-a", cancellationToken: Ct));

        Assert.Equal("AlreadyExists", KubernetesErrors.StatusReason(e)); // the caller's cue to re-read: nothing lost
        Assert.Equal([201, 409], _fake.Journal.Select(r => r.StatusCode));
    }

    [Fact]
    public async Task Send_Forbidden_NotRetried()
    {
        using var client = Client();
        _fake.Deny(RbacDenyRule.Everywhere("list", "secrets"));

        var e = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.ListNamespacedSecretAsync("team-a", cancellationToken: Ct));

        Assert.Equal(HttpStatusCode.Forbidden, e.Response.StatusCode);
        Assert.Single(_fake.Journal);
    }

    [Fact]
    public async Task Send_NotFound_NotRetried()
    {
        using var client = Client();

        var e = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.ReadNamespacedSecretAsync("missing", "team-a", cancellationToken: Ct));

        Assert.Equal(HttpStatusCode.NotFound, e.Response.StatusCode);
        Assert.Single(_fake.Journal);
    }

    [Fact]
    public async Task Send_Conflict_NotRetried()
    {
        using var client = Client();
        _fake.AddSecret(Secret("v"));

        var e = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.CreateNamespacedSecretAsync(Secret("v"), "team-a", cancellationToken: Ct));

        Assert.Equal(HttpStatusCode.Conflict, e.Response.StatusCode);
        Assert.Single(_fake.Journal);
    }

    [Fact]
    public async Task Send_AlwaysFailing_StopsAfterMaxAttemptsAndLogs()
    {
        using var client = Client(FakeKubeClients.FastRetries with { MaxAttempts = 3 });
        _fake.FaultHook = _ => KubeFault.InternalError();

        var e = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.ListNamespaceAsync(cancellationToken: Ct));

        Assert.Equal(HttpStatusCode.InternalServerError, e.Response.StatusCode);
        Assert.Equal(3, _fake.Journal.Count);
        var events = _logger.Collector.GetSnapshot().Select(r => r.Id.Id).ToList();
        Assert.Equal([4000, 4000, 4001], events);
    }

    [Fact]
    public async Task Send_AlwaysUnavailable_RetriesUntilBudgetSpentThenGivesUp()
    {
        var time = new TestSupport.BackoffSkippingTimeProvider(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero), TimeSpan.FromMinutes(1));
        var started = time.GetUtcNow();
        using var client = Client(new KubernetesRetryOptions { AttemptTimeout = TimeSpan.FromHours(1) }, time);
        _fake.FaultHook = _ => KubeFault.Unavailable();

        var e = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.ListNamespaceAsync(cancellationToken: Ct));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, e.Response.StatusCode);
        var waited = time.GetUtcNow() - started;
        Assert.InRange(waited, TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(2) + TimeSpan.FromSeconds(10)); // budget, plus at most one backoff
        Assert.InRange(_fake.Journal.Count, 12, 40); // many more than the 5 tries of a count-bounded policy
        Assert.Equal(4001, _logger.Collector.LatestRecord.Id.Id);
    }

    [Fact]
    public async Task Send_AttemptTimesOut_RetriedThenSucceeds()
    {
        // The retried attempt must finish within the per-try timeout on a loaded CI machine too: seconds, not 100 ms.
        using var client = Client(FakeKubeClients.FastRetries with { AttemptTimeout = TimeSpan.FromSeconds(3) });
        _fake.FailNext(KubeFault.Slow(TimeSpan.FromSeconds(60)));

        var list = await client.CoreV1.ListNamespaceAsync(cancellationToken: Ct);

        Assert.Single(list.Items);
        Assert.Equal(1, _fake.InjectedFaults.Latencies);
        Assert.Equal(4000, _logger.Collector.GetSnapshot().Single().Id.Id); // one retry, after the timed-out try
    }

    [Fact]
    public async Task Send_EveryAttemptTimesOut_ThrowsHttpRequestException()
    {
        using var client = Client(FakeKubeClients.FastRetries with { MaxAttempts = 2, AttemptTimeout = TimeSpan.FromMilliseconds(200) });
        _fake.FaultHook = _ => KubeFault.Slow(TimeSpan.FromSeconds(30));

        var e = await Assert.ThrowsAsync<HttpRequestException>(() => client.CoreV1.ListNamespaceAsync(cancellationToken: Ct));

        Assert.IsType<Polly.Timeout.TimeoutRejectedException>(e.InnerException);
        Assert.Equal([4000, 4001], _logger.Collector.GetSnapshot().Select(r => r.Id.Id));
    }

    [Fact]
    public async Task Send_CallerCancels_NotRetried()
    {
        using var client = Client();
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var served = 0;
        _fake.FaultHook = _ =>
        {
            Interlocked.Increment(ref served);
            cancel.Cancel(); // the caller gives up while the server is still working
            return KubeFault.Slow(TimeSpan.FromSeconds(30));
        };

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.CoreV1.ListNamespaceAsync(cancellationToken: cancel.Token));

        Assert.Equal(1, served);
        Assert.Empty(_logger.Collector.GetSnapshot()); // no retry was scheduled, no give-up logged
    }

    [Fact]
    public async Task Send_RetriedSecretWrite_NeverLogsCredential()
    {
        using var client = Client();
        const string password = "hunter2-very-secret";
        var created = _fake.AddSecret(Secret("old"));
        created.Data["password"] = Encoding.UTF8.GetBytes(password);
        _fake.FailNext(KubeFault.Unavailable(), times: 2, when: r => r.Verb == "update");

        await client.CoreV1.ReplaceNamespacedSecretAsync(created, "regcred", "team-a", cancellationToken: Ct);

        var records = _logger.Collector.GetSnapshot();
        Assert.Equal(2, records.Count);
        var logged = string.Join('\n', records.Select(r => r.Message + string.Concat(r.StructuredState?.Select(kv => kv.Value) ?? [])));
        Assert.DoesNotContain(password, logged, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToBase64String(Encoding.UTF8.GetBytes(password)), logged, StringComparison.Ordinal);
        Assert.Contains("/api/v1/namespaces/team-a/secrets/regcred", logged, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Watch_OutlivesAttemptTimeout_KeepsStreaming()
    {
        var time = new TimerSignallingTimeProvider(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));
        using var client = Client(FakeKubeClients.FastRetries with { AttemptTimeout = TimeSpan.FromSeconds(1) }, time);
        await using var events = client.CoreV1.WatchListNamespaceAsync(cancellationToken: Ct).GetAsyncEnumerator(Ct);
        Assert.True(await events.MoveNextAsync()); // initial ADDED: the stream is open

        time.Advance(TimeSpan.FromMinutes(1)); // far past the per-try timeout: it bounds only getting the response headers
        _fake.AddNamespace("late");

        Assert.True(await events.MoveNextAsync());
        Assert.Equal("late", events.Current.Item2.Metadata.Name);
    }

    [Fact]
    public void CreateHandler_InvalidOptions_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            KubernetesResilience.CreateHandler(new KubernetesRetryOptions { MaxAttempts = 0 }, TimeProvider.System, _logger));
    }

    // Backoff far longer than any test: a retry that happens proves Retry-After was used.
    private static KubernetesRetryOptions SlowBackoff => new()
    {
        BaseDelay = TimeSpan.FromMinutes(5), MaxDelay = TimeSpan.FromMinutes(10), AttemptTimeout = TimeSpan.FromHours(1),
    };

    private IKubernetes Client(KubernetesRetryOptions? options = null, TimeProvider? time = null) =>
        _fake.CreateResilientClient(options, time, _logger);

    private static V1Secret Secret(string password) => new()
    {
        Metadata = new V1ObjectMeta { Name = "regcred", NamespaceProperty = "team-a" },
        Data = new Dictionary<string, byte[]> { ["password"] = Encoding.UTF8.GetBytes(password) },
    };
}
