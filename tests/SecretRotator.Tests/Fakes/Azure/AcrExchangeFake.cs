using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using SecretRotator.Tests.TestSupport;

namespace SecretRotator.Tests.Fakes.Azure;

/// <summary>
/// ACR's POST /oauth2/exchange: checks the form ACR requires and answers a refresh token that is a JWT
/// with a real exp, as the service does. Can fail transiently or reject the access token.
/// </summary>
public sealed class AcrExchangeFake : IAsyncDisposable
{
    private LoopbackHost? _host;
    private int _failuresLeft;

    public required IReadOnlyCollection<string> Servers { get; init; }
    public required string TenantId { get; init; }
    /// <summary>Which access tokens the registry accepts (normally: those the Entra fake issued).</summary>
    public required Func<string, bool> AcceptsAccessToken { get; init; }
    public DateTimeOffset RefreshTokenExpiry { get; set; } = DateTimeOffset.UtcNow.AddHours(3);
    /// <summary>Replaces the issued refresh token (e.g. one without exp).</summary>
    public Func<string>? RefreshTokenOverride { get; set; }
    public int TransientFailures { set => _failuresLeft = value; }

    public Uri Endpoint => _host?.BaseAddress ?? throw new InvalidOperationException("not started");
    public ConcurrentQueue<IReadOnlyDictionary<string, string>> Exchanges { get; } = new();
    public ConcurrentQueue<string> IssuedRefreshTokens { get; } = new();
    public int Requests => _requests;
    private int _requests;

    public async Task<AcrExchangeFake> StartAsync()
    {
        _host = await LoopbackHost.StartAsync(app => app.MapPost("/oauth2/exchange", (RequestDelegate)ExchangeAsync));
        return this;
    }

    private async Task ExchangeAsync(HttpContext ctx)
    {
        Interlocked.Increment(ref _requests);
        if (Interlocked.Decrement(ref _failuresLeft) >= 0)
        {
            ctx.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return;
        }
        var form = await ctx.Request.ReadFormAsync(ctx.RequestAborted);
        var fields = form.ToDictionary(f => f.Key, f => f.Value.ToString());
        Exchanges.Enqueue(fields);

        string? problem =
            fields.GetValueOrDefault("grant_type") != "access_token" ? "grant_type must be access_token"
            : !Servers.Contains(fields.GetValueOrDefault("service") ?? "") ? $"unknown service {fields.GetValueOrDefault("service")}"
            : fields.GetValueOrDefault("tenant") != TenantId ? "tenant mismatch"
            : null;
        if (problem is not null)
        {
            ctx.Response.StatusCode = StatusCodes.Status400BadRequest;
            await ctx.Response.WriteAsJsonAsync(new { errors = new[] { new { code = "BAD_REQUEST", message = problem } } }, ctx.RequestAborted);
            return;
        }
        var accessToken = fields.GetValueOrDefault("access_token") ?? "";
        if (!AcceptsAccessToken(accessToken))
        {
            // Echoes the token back like a careless proxy might, so tests can prove it is redacted.
            ctx.Response.StatusCode = StatusCodes.Status401Unauthorized;
            await ctx.Response.WriteAsJsonAsync(new { errors = new[] { new { code = "UNAUTHORIZED", message = $"invalid access token {accessToken}" } } }, ctx.RequestAborted);
            return;
        }

        var refreshToken = RefreshTokenOverride?.Invoke() ?? TestJwt.Create(new Dictionary<string, object>
        {
            ["jti"] = Guid.NewGuid().ToString("N"),
            ["sub"] = "workload@acr",
            ["iss"] = "Azure Container Registry",
            ["aud"] = fields["service"],
            ["tenant"] = TenantId,
            ["grant_type"] = "refresh_token",
            ["exp"] = RefreshTokenExpiry.ToUnixTimeSeconds(),
        });
        IssuedRefreshTokens.Enqueue(refreshToken);
        await ctx.Response.WriteAsJsonAsync(new { refresh_token = refreshToken }, ctx.RequestAborted);
    }

    public async ValueTask DisposeAsync()
    {
        if (_host is not null) await _host.DisposeAsync();
    }
}
