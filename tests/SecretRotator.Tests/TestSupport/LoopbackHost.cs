using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace SecretRotator.Tests.TestSupport;

/// <summary>
/// The one Kestrel bootstrap every loopback fake uses: 127.0.0.1 on an OS-assigned port (so tests run in parallel),
/// optionally HTTPS with a given certificate, host logging off. A default <see cref="CancellationToken"/> means the
/// current test's token.
/// </summary>
public sealed class LoopbackHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private LoopbackHost(WebApplication app, Uri baseAddress)
    {
        _app = app;
        BaseAddress = baseAddress;
    }

    /// <summary>http(s)://127.0.0.1:PORT/ (trailing slash, so relative URIs resolve under it).</summary>
    public Uri BaseAddress { get; }

    /// <summary>Serves the routes <paramref name="routes"/> maps.</summary>
    public static async Task<LoopbackHost> StartAsync(
        Action<WebApplication> routes, X509Certificate2? certificate = null, CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen =>
        {
            if (certificate is not null) listen.UseHttps(certificate);
        }));
        var app = builder.Build();
        routes(app);
        await app.StartAsync(cancellationToken == default ? TestContext.Current.CancellationToken : cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        return new LoopbackHost(app, new Uri(address.TrimEnd('/') + "/"));
    }

    /// <summary>Answers every request with <paramref name="handler"/>.</summary>
    public static Task<LoopbackHost> StartAsync(
        RequestDelegate handler, X509Certificate2? certificate = null, CancellationToken cancellationToken = default) =>
        StartAsync(app => app.Run(handler), certificate, cancellationToken);

    /// <summary>A loopback port that was free a moment ago: for servers that need it on their command line, or for a
    /// connection that must be refused.</summary>
    public static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
