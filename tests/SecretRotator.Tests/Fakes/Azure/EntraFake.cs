using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using SecretRotator.Tests.TestSupport;

namespace SecretRotator.Tests.Fakes.Azure;

/// <summary>
/// Microsoft Entra token endpoint (https, /{tenant}/oauth2/v2.0/token) for the client credentials grant,
/// authenticating the client by federated assertion (workload identity), by a certificate-signed assertion (a
/// service principal's registered certificate: signature, thumbprint, audience, issuer, subject and lifetime are
/// checked as Entra checks them) or by secret, and answering
/// failures the way Entra does: OAuth error JSON whose description starts with an AADSTS code.
/// </summary>
public sealed class EntraFake : IAsyncDisposable
{
    public const string JwtBearerAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

    private LoopbackHost? _host;

    public string TenantId { get; init; } = "11111111-2222-3333-4444-555555555555";
    public string ClientId { get; init; } = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";
    /// <summary>The service account token the pod's projected file holds; the assertion must equal it.</summary>
    public string FederatedToken { get; init; } = "federated-sa-token-" + Guid.NewGuid().ToString("N");
    public string ClientSecret { get; init; } = "client-secret-" + Guid.NewGuid().ToString("N");
    /// <summary>The certificate registered on the app (public part); null: certificate sign-in is refused.</summary>
    public X509Certificate2? ClientCertificate { get; init; }
    public string Scope { get; init; } = "https://containerregistry.azure.net/.default";
    public TimeSpan TokenLifetime { get; init; } = TimeSpan.FromHours(1);

    public Uri AuthorityHost => _host?.BaseAddress ?? throw new InvalidOperationException("not started");
    public ConcurrentQueue<string> IssuedTokens { get; } = new();
    public ConcurrentQueue<string> UnexpectedRequests { get; } = new();
    public int TokenRequests => _tokenRequests;
    private int _tokenRequests;

    public async Task<EntraFake> StartAsync()
    {
        _host = await LoopbackHost.StartAsync(app =>
        {
            app.MapPost("/{tenant}/oauth2/v2.0/token", (RequestDelegate)TokenAsync);
            app.MapFallback((RequestDelegate)(ctx =>
            {
                UnexpectedRequests.Enqueue($"{ctx.Request.Method} {ctx.Request.Path}");
                ctx.Response.StatusCode = StatusCodes.Status404NotFound;
                return Task.CompletedTask;
            }));
        }, TestCertificate.Loopback);
        return this;
    }

    private async Task TokenAsync(HttpContext ctx)
    {
        Interlocked.Increment(ref _tokenRequests);
        var form = await ctx.Request.ReadFormAsync(ctx.RequestAborted);
        var tenant = (string?)ctx.Request.RouteValues["tenant"];
        var error = Check(tenant, form);
        if (error is not null)
        {
            ctx.Response.StatusCode = StatusCodes.Status400BadRequest;
            await ctx.Response.WriteAsJsonAsync(new Dictionary<string, object>
            {
                ["error"] = error.Value.Error,
                ["error_description"] = $"AADSTS{error.Value.Code}: {error.Value.Text} Trace ID: {Guid.NewGuid()} Correlation ID: {Guid.NewGuid()} Timestamp: 2026-11-26 17:00:00Z",
                ["error_codes"] = new[] { error.Value.Code },
                ["trace_id"] = Guid.NewGuid().ToString(),
            }, ctx.RequestAborted);
            return;
        }

        var now = DateTimeOffset.UtcNow;
        var token = TestJwt.Create(new Dictionary<string, object>
        {
            ["aud"] = "https://containerregistry.azure.net",
            ["iss"] = $"https://sts.windows.net/{TenantId}/",
            ["tid"] = TenantId,
            ["appid"] = ClientId,
            ["iat"] = now.ToUnixTimeSeconds(),
            ["exp"] = (now + TokenLifetime).ToUnixTimeSeconds(),
            ["jti"] = Guid.NewGuid().ToString("N"),
        });
        IssuedTokens.Enqueue(token);
        await ctx.Response.WriteAsJsonAsync(new Dictionary<string, object>
        {
            ["token_type"] = "Bearer",
            ["expires_in"] = (long)TokenLifetime.TotalSeconds,
            ["ext_expires_in"] = (long)TokenLifetime.TotalSeconds,
            ["access_token"] = token,
        }, ctx.RequestAborted);
    }

    private (string Error, int Code, string Text)? Check(string? tenant, IFormCollection form)
    {
        if (tenant != TenantId) return ("invalid_request", 90002, $"Tenant '{tenant}' not found.");
        if (form["grant_type"] != "client_credentials") return ("unsupported_grant_type", 70003, "The app requested an unsupported grant type.");
        if (form["client_id"] != ClientId) return ("unauthorized_client", 700016, $"Application with identifier '{form["client_id"]}' was not found in the directory.");
        var scopes = form["scope"].ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (!scopes.Contains(Scope)) return ("invalid_scope", 70011, "The provided value for the input parameter 'scope' is not valid.");
        if (form.ContainsKey("client_assertion"))
        {
            if (form["client_assertion_type"] != JwtBearerAssertionType) return ("invalid_client", 7000274, "Invalid client assertion type.");
            var assertion = form["client_assertion"].ToString();
            if (assertion == FederatedToken) return null;
            if (ClientCertificate is not null && IsSignedAssertion(assertion)) return CheckCertificateAssertion(assertion, tenant!);
            return ("invalid_client", 700213, "No matching federated identity record found for presented assertion subject.");
        }
        if (form["client_secret"] != ClientSecret) return ("invalid_client", 7000215, "Invalid client secret provided.");
        return null;
    }

    private static bool IsSignedAssertion(string assertion) =>
        assertion.Split('.') is { Length: 3 } parts && TryJson(parts[0]) is { } header
        && (header.TryGetProperty("x5t", out _) || header.TryGetProperty("x5t#S256", out _));

    /// <summary>What Entra checks of a certificate credential's assertion (the client_credentials grant with a JWT bearer).</summary>
    private (string Error, int Code, string Text)? CheckCertificateAssertion(string assertion, string tenant)
    {
        var parts = assertion.Split('.');
        var header = TryJson(parts[0])!.Value;
        var payload = TryJson(parts[1]);
        if (payload is null) return ("invalid_client", 700024, "Client assertion is not within its valid time range.");

        var certificate = ClientCertificate!;
        var matchesThumbprint =
            (header.TryGetProperty("x5t#S256", out var s256) && s256.GetString() == Base64Url.EncodeToString(certificate.GetCertHash(HashAlgorithmName.SHA256)))
            || (header.TryGetProperty("x5t", out var sha1) && sha1.GetString() == Base64Url.EncodeToString(certificate.GetCertHash(HashAlgorithmName.SHA1)));
        if (!matchesThumbprint)
            return ("invalid_client", 700027, "Client assertion failed signature validation. [Reason - The key was not found.]");

        var padding = header.GetProperty("alg").GetString() switch
        {
            "RS256" => RSASignaturePadding.Pkcs1,
            "PS256" => RSASignaturePadding.Pss,
            _ => null,
        };
        using var key = certificate.GetRSAPublicKey();
        if (padding is null || key is null || !key.VerifyData(Encoding.ASCII.GetBytes($"{parts[0]}.{parts[1]}"), Base64Url.DecodeFromChars(parts[2]), HashAlgorithmName.SHA256, padding))
            return ("invalid_client", 700027, "Client assertion failed signature validation.");

        var claims = payload.Value;
        var audience = new Uri(AuthorityHost, $"{tenant}/oauth2/v2.0/token").AbsoluteUri;
        if (!claims.TryGetProperty("aud", out var aud) || aud.GetString() != audience)
            return ("invalid_client", 700016, $"Invalid audience in client assertion: expected {audience}.");
        if (Text(claims, "iss") != ClientId || Text(claims, "sub") != ClientId)
            return ("invalid_client", 700021, "Client assertion application identifier doesn't match 'client_id' parameter.");
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        if (Seconds(claims, "exp") is not { } exp || exp < now || Seconds(claims, "nbf") > now + 300)
            return ("invalid_client", 700024, "Client assertion is not within its valid time range.");
        return null;
    }

    /// <summary>A NumericDate claim. MSAL writes exp and nbf as JSON strings; Entra accepts both forms.</summary>
    private static long? Seconds(JsonElement claims, string name) => claims.TryGetProperty(name, out var value) ? value.ValueKind switch
    {
        JsonValueKind.Number => value.GetInt64(),
        JsonValueKind.String when long.TryParse(value.GetString(), out var seconds) => seconds,
        _ => null,
    } : null;

    private static string? Text(JsonElement claims, string name) => claims.TryGetProperty(name, out var value) ? value.GetString() : null;

    private static JsonElement? TryJson(string segment)
    {
        try
        {
            return JsonDocument.Parse(Base64Url.DecodeFromChars(segment)).RootElement.Clone();
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_host is not null) await _host.DisposeAsync();
    }
}
