using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Http;
using SecretRotator.Tests.TestSupport;

namespace SecretRotator.Tests.Fakes.Telemetry;

/// <summary>
/// Loopback HTTP receiver (Kestrel, 127.0.0.1, port 0) that records every request: stands in for a Pushgateway that
/// rejects or hangs, and for an OTLP/HTTP collector.
/// </summary>
internal sealed class FakeHttpReceiver : IAsyncDisposable
{
    public sealed record Request(string Method, string Path, string? Authorization, string? ContentType, byte[] Body);

    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private LoopbackHost? _host;

    private FakeHttpReceiver()
    {
    }

    public ConcurrentQueue<Request> Requests { get; } = new();

    /// <summary>Completes when the first request has arrived (body read).</summary>
    public TaskCompletionSource FirstRequest { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Uri Address => _host?.BaseAddress ?? throw new InvalidOperationException("not started");

    /// <summary>Status to answer with; null holds every request open until dispose.</summary>
    public HttpStatusCode? Status { get; set; } = HttpStatusCode.OK;

    public static async Task<FakeHttpReceiver> StartAsync(CancellationToken ct)
    {
        var receiver = new FakeHttpReceiver();
        receiver._host = await LoopbackHost.StartAsync(receiver.HandleAsync, cancellationToken: ct);
        return receiver;
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body, context.RequestAborted);
        Requests.Enqueue(new Request(context.Request.Method, context.Request.Path, context.Request.Headers.Authorization,
            context.Request.ContentType, body.ToArray()));
        FirstRequest.TrySetResult();
        if (Status is not { } status)
        {
            await _release.Task.WaitAsync(context.RequestAborted);
            return;
        }
        context.Response.StatusCode = (int)status;
        await context.Response.WriteAsync(status == HttpStatusCode.OK ? "" : "pushed metrics are invalid", context.RequestAborted);
    }

    public async ValueTask DisposeAsync()
    {
        _release.TrySetResult();
        if (_host is not null) await _host.DisposeAsync();
    }
}
