using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace SecretRotator.Bench.Scale;

/// <summary>
/// A loopback ECR GetAuthorizationToken endpoint that only counts and answers (the tests' fake checks signatures;
/// the benchmark only needs a token-based registry whose requests it can count).
/// </summary>
internal sealed class FakeTokenEndpoint : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _requests;

    private FakeTokenEndpoint(WebApplication app, Uri url) => (_app, Url) = (app, url);

    public Uri Url { get; }
    public int Requests => Volatile.Read(ref _requests);
    /// <summary>The password inside the token; change it to make the next fetch a rotation.</summary>
    public string Password { get; set; } = "ecr-password-1";

    public static async Task<FakeTokenEndpoint> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        FakeTokenEndpoint? self = null;
        app.Run(async context =>
        {
            Interlocked.Increment(ref self!._requests);
            var token = Convert.ToBase64String(Encoding.UTF8.GetBytes("AWS:" + self.Password));
            var expires = DateTimeOffset.UtcNow.AddHours(12).ToUnixTimeSeconds();
            context.Response.ContentType = "application/x-amz-json-1.1";
            await context.Response.WriteAsync(
                $$"""{"authorizationData":[{"authorizationToken":"{{token}}","expiresAt":{{expires}},"proxyEndpoint":"https://111122223333.dkr.ecr.us-east-1.amazonaws.com"}]}""");
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        self = new FakeTokenEndpoint(app, new Uri(address + "/"));
        return self;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
