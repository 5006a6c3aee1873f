using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace SecretRotator.Tests.Fakes.Telemetry;

/// <summary>
/// Loopback HTTP receiver (Kestrel, 127.0.0.1, port 0) that records every request: stands in for a Pushgateway that
/// rejects or hangs, and for an OTLP/HTTP collector.
/// </summary>
internal sealed class FakeHttpReceiver : IAsyncDisposable
{
    public sealed record Request(string Method, string Path, string? Authorization, string? ContentType, byte[] Body);

    private readonly WebApplication _app;
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private FakeHttpReceiver(WebApplication app) => _app = app;

    public ConcurrentQueue<Request> Requests { get; } = new();

    /// <summary>Completes when the first request has arrived (body read).</summary>
    public TaskCompletionSource FirstRequest { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Uri Address { get; private set; } = null!;

    /// <summary>Status to answer with; null holds every request open until dispose.</summary>
    public HttpStatusCode? Status { get; set; } = HttpStatusCode.OK;

    public static async Task<FakeHttpReceiver> StartAsync(CancellationToken ct)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var receiver = new FakeHttpReceiver(app);
        app.Run(receiver.HandleAsync);
        await app.StartAsync(ct);
        receiver.Address = new Uri(app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First());
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
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
