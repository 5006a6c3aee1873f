using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace SecretRotator.Telemetry;

/// <summary>
/// A minimal Kestrel server for /metrics and /healthz, for `run --metrics-port N` (open while the run is in
/// progress) and for the daemon. It serves this container's <see cref="MetricsCollector"/> and health checks.
/// </summary>
public sealed class MetricsServer(IServiceProvider services, ILoggerFactory loggerFactory) : IAsyncDisposable
{
    private WebApplication? _app;

    /// <summary>Listens on every interface (what a Prometheus scrape in the cluster needs).</summary>
    public Task<Uri> StartAsync(int port, CancellationToken ct) => StartAsync(new IPEndPoint(IPAddress.IPv6Any, port), ct);

    /// <summary>Starts listening; returns the bound address (port 0 picks a free port).</summary>
    public async Task<Uri> StartAsync(IPEndPoint endpoint, CancellationToken ct)
    {
        if (_app is not null) throw new InvalidOperationException("The metrics server is already started.");
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggerFactory); // Kestrel logs go where the rotator's logs go
        builder.WebHost.UseKestrel(options =>
        {
            if (endpoint.Address.Equals(IPAddress.IPv6Any)) options.ListenAnyIP(endpoint.Port);
            else options.Listen(endpoint);
        });
        var app = builder.Build();
        app.MapSecretRotatorTelemetry(services);
        await app.StartAsync(ct);
        _app = app;

        var address = new Uri(app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First());
        TelemetryLog.Serving(loggerFactory.CreateLogger<MetricsServer>(), address.ToString());
        return address;
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is null) return;
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
        _app = null;
    }
}
