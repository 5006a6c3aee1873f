using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using SecretRotator.Tests.TestSupport;

namespace SecretRotator.Tests.Fakes.Azure;

/// <summary>
/// The local managed identity endpoint App Service style hosts expose (IDENTITY_ENDPOINT, IDENTITY_HEADER):
/// GET ?api-version=2019-08-01&amp;resource=...&amp;client_id=... with the X-IDENTITY-HEADER secret.
/// Issues Entra-like JWTs that carry the tenant (tid), as real managed identity tokens do.
/// </summary>
public sealed class ManagedIdentityFake : IAsyncDisposable
{
    private LoopbackHost? _host;

    public required string TenantId { get; init; }
    public string ClientId { get; init; } = "99999999-8888-7777-6666-555555555555";
    public string IdentityHeader { get; init; } = "identity-header-" + Guid.NewGuid().ToString("N");
    public Uri Endpoint => new(_host?.BaseAddress ?? throw new InvalidOperationException("not started"), "msi/token");
    public ConcurrentQueue<string> IssuedTokens { get; } = new();
    public ConcurrentQueue<string> Rejections { get; } = new();

    public async Task<ManagedIdentityFake> StartAsync()
    {
        _host = await LoopbackHost.StartAsync(app => app.MapGet("/msi/token", (RequestDelegate)TokenAsync));
        return this;
    }

    private async Task TokenAsync(HttpContext ctx)
    {
        var q = ctx.Request.Query;
        var problem = ctx.Request.Headers["X-IDENTITY-HEADER"] != IdentityHeader ? "missing or wrong X-IDENTITY-HEADER"
            : q["resource"] != "https://containerregistry.azure.net" ? $"unexpected resource {q["resource"]}"
            : q["client_id"] != ClientId ? $"no user-assigned identity with client id {q["client_id"]}"
            : null;
        if (problem is not null)
        {
            Rejections.Enqueue(problem);
            ctx.Response.StatusCode = StatusCodes.Status400BadRequest;
            await ctx.Response.WriteAsJsonAsync(new { statusCode = 400, message = problem }, ctx.RequestAborted);
            return;
        }
        var expires = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds();
        var token = TestJwt.Create(new Dictionary<string, object> { ["tid"] = TenantId, ["appid"] = ClientId, ["exp"] = expires, ["jti"] = Guid.NewGuid().ToString("N") });
        IssuedTokens.Enqueue(token);
        await ctx.Response.WriteAsJsonAsync(new Dictionary<string, string>
        {
            ["access_token"] = token,
            ["expires_on"] = expires.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["resource"] = "https://containerregistry.azure.net",
            ["token_type"] = "Bearer",
            ["client_id"] = ClientId,
        }, ctx.RequestAborted);
    }

    public async ValueTask DisposeAsync()
    {
        if (_host is not null) await _host.DisposeAsync();
    }
}
