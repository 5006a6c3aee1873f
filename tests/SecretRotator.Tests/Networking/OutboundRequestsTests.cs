using Microsoft.AspNetCore.Http;
using SecretRotator.Networking;
using SecretRotator.Tests.TestSupport;

namespace SecretRotator.Tests.Networking;

/// <summary>The watch that lets a deadline name the endpoint that hung, driven by real HttpClient requests to loopback ports.</summary>
public sealed class OutboundRequestsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    /// <summary>Sends GET <paramref name="url"/> until <paramref name="deadline"/> fires; the outcome is not the point.</summary>
    private static async Task SendAsync(string url, CancellationToken deadline)
    {
        using var http = new HttpClient();
        try
        {
            using var response = await http.GetAsync(url, deadline);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
        }
    }

    [Fact]
    public async Task DescribeTimeout_RequestHangingAtDeadline_NamesItsEndpointWithoutTheQuery()
    {
        await using var silent = new SilentEndpoint();
        using var deadline = new CancellationTokenSource();
        using var watch = OutboundRequests.Watch(deadline.Token);

        var sending = SendAsync($"{silent.Http}/v1/credentials?token=s3cret-query", deadline.Token);
        await silent.Connected.WaitAsync(Wait, Ct);
        await deadline.CancelAsync();
        await sending.WaitAsync(Wait, Ct);

        Assert.Equal($"no answer from {silent.Http}/v1/credentials within 2s (settings.timeout)", watch.DescribeTimeout(TimeSpan.FromSeconds(2), "settings.timeout"));
    }

    [Fact]
    public async Task DescribeTimeout_OlderRequestAnsweredNewerHanging_NamesTheHangingOne()
    {
        await using var answering = await LoopbackHost.StartAsync(c => { c.Response.StatusCode = 200; return Task.CompletedTask; }, cancellationToken: Ct);
        await using var silent = new SilentEndpoint();
        using var deadline = new CancellationTokenSource();
        using var watch = OutboundRequests.Watch(deadline.Token);

        await SendAsync($"{answering.BaseAddress}ok", deadline.Token);
        var sending = SendAsync($"{silent.Http}/hangs", deadline.Token);
        await silent.Connected.WaitAsync(Wait, Ct);
        await deadline.CancelAsync();
        await sending.WaitAsync(Wait, Ct);

        Assert.Equal($"{silent.Http}/hangs", watch.Unanswered);
    }

    [Fact]
    public async Task DescribeTimeout_DeadlineBetweenRetries_NamesTheRetriedEndpointAndItsLastAnswer()
    {
        await using var unavailable = await LoopbackHost.StartAsync(c => { c.Response.StatusCode = StatusCodes.Status503ServiceUnavailable; return Task.CompletedTask; }, cancellationToken: Ct);
        using var deadline = new CancellationTokenSource();
        using var watch = OutboundRequests.Watch(deadline.Token);

        await SendAsync($"{unavailable.BaseAddress}token", deadline.Token);
        await deadline.CancelAsync();

        Assert.Equal($"settings.timeout 5m reached while retrying {unavailable.BaseAddress}token (last answer: HTTP 503)",
            watch.DescribeTimeout(TimeSpan.FromMinutes(5), "settings.timeout"));
    }

    [Fact]
    public async Task Watch_ConcurrentFlows_EachSeesOnlyItsOwnRequests()
    {
        await using var first = new SilentEndpoint();
        await using var second = new SilentEndpoint();
        using var deadline = new CancellationTokenSource();

        async Task<string?> WatchedAsync(SilentEndpoint endpoint)
        {
            using var watch = OutboundRequests.Watch(deadline.Token);
            var sending = SendAsync($"{endpoint.Http}/", deadline.Token);
            await endpoint.Connected.WaitAsync(Wait, Ct);
            await Task.WhenAll(first.Connected, second.Connected).WaitAsync(Wait, Ct);
            await deadline.CancelAsync();
            await sending.WaitAsync(Wait, Ct);
            return watch.Unanswered;
        }

        var names = await Task.WhenAll(WatchedAsync(first), WatchedAsync(second));

        Assert.Equal(new string?[] { $"{first.Http}/", $"{second.Http}/" }, names);
    }

    [Fact]
    public async Task Watch_Disposed_LaterRequestsOfTheFlowAreNotItsOwn()
    {
        await using var silent = new SilentEndpoint();
        using var deadline = new CancellationTokenSource();
        var watch = OutboundRequests.Watch(deadline.Token);
        watch.Dispose();

        var sending = SendAsync($"{silent.Http}/after", deadline.Token);
        await silent.Connected.WaitAsync(Wait, Ct);
        await deadline.CancelAsync();
        await sending.WaitAsync(Wait, Ct);

        Assert.Null(watch.Unanswered);
        Assert.Equal("no answer within 2s (settings.timeout)", watch.DescribeTimeout(TimeSpan.FromSeconds(2), "settings.timeout"));
    }
}
