using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using SecretRotator.Tests.TestSupport;

namespace SecretRotator.Tests.Fakes.Google;

/// <summary>
/// Google's OAuth token endpoint (JWT bearer grant, RS256 assertion verified against the service account's
/// public key), the GKE metadata server's token path, and IAM Credentials generateAccessToken.
/// </summary>
public sealed class GoogleFake : IAsyncDisposable
{
    public const string JwtBearerGrant = "urn:ietf:params:oauth:grant-type:jwt-bearer";
    /// <summary>Google expects this audience in assertions whatever token_uri the request went to.</summary>
    public const string Audience = "https://oauth2.googleapis.com/token";

    private LoopbackHost? _host;
    private int _failuresLeft;

    /// <summary>The service account whose key file the tests write; the fake knows only its public half.</summary>
    public RSA Key { get; } = RSA.Create(2048);
    public string ClientEmail { get; init; } = "puller@test-project.iam.gserviceaccount.com";
    public int ExpiresInSeconds { get; set; } = 3600;
    public int TransientFailures { set => _failuresLeft = value; }

    public Uri BaseAddress => _host?.BaseAddress ?? throw new InvalidOperationException("not started");
    public Uri TokenUri => new(BaseAddress, "token");
    public Uri MetadataTokenUri => new(BaseAddress, "computeMetadata/v1/instance/service-accounts/default/token");

    public ConcurrentQueue<string> IssuedTokens { get; } = new();
    public ConcurrentQueue<string> VerifiedScopes { get; } = new();
    public ConcurrentQueue<string> ImpersonationCallers { get; } = new();
    /// <summary>Every generateAccessToken request that got past the bearer check, as IAM saw it.</summary>
    public ConcurrentQueue<ImpersonationRequest> ImpersonationRequests { get; } = new();
    /// <summary>Service accounts the caller may not impersonate: IAM answers 403 PERMISSION_DENIED.</summary>
    public HashSet<string> DeniedTargets { get; } = new(StringComparer.Ordinal);
    public DateTimeOffset? LastImpersonatedExpiry { get; private set; }
    public int TokenRequests => _tokenRequests;
    private int _tokenRequests;

    public async Task<GoogleFake> StartAsync()
    {
        _host = await LoopbackHost.StartAsync(app =>
        {
            app.MapPost("/token", (RequestDelegate)TokenAsync);
            app.MapPost("/sts", (RequestDelegate)StsExchangeAsync);
            app.MapGet("/computeMetadata/v1/instance/service-accounts/default/token", (RequestDelegate)MetadataTokenAsync);
            app.MapPost("/v1/projects/-/serviceAccounts/{*rest}", (RequestDelegate)GenerateAccessTokenAsync);
        });
        return this;
    }

    /// <summary>A service account key file as the console downloads it, with token_uri pointing here (or elsewhere).</summary>
    public string KeyFileJson(Uri? tokenUri = null, RSA? signingKey = null) => JsonSerializer.Serialize(new Dictionary<string, string>
    {
        ["type"] = "service_account",
        ["project_id"] = "test-project",
        ["private_key_id"] = "key-1",
        ["private_key"] = (signingKey ?? Key).ExportPkcs8PrivateKeyPem(),
        ["client_email"] = ClientEmail,
        ["client_id"] = "100000000000000000001",
        ["auth_uri"] = "https://accounts.google.com/o/oauth2/auth",
        ["token_uri"] = (tokenUri ?? TokenUri).AbsoluteUri,
    });

    private async Task TokenAsync(HttpContext ctx)
    {
        Interlocked.Increment(ref _tokenRequests);
        if (Interlocked.Decrement(ref _failuresLeft) >= 0)
        {
            ctx.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return;
        }
        var form = await ctx.Request.ReadFormAsync(ctx.RequestAborted);
        var problem = form["grant_type"] != JwtBearerGrant ? ("unsupported_grant_type", "Invalid grant_type.") : VerifyAssertion(form["assertion"].ToString());
        if (problem is { } p)
        {
            ctx.Response.StatusCode = StatusCodes.Status400BadRequest;
            await ctx.Response.WriteAsJsonAsync(new Dictionary<string, string> { ["error"] = p.Error, ["error_description"] = p.Description }, ctx.RequestAborted);
            return;
        }
        await WriteTokenAsync(ctx, "ya29.sa-");
    }

    private (string Error, string Description)? VerifyAssertion(string assertion)
    {
        var parts = assertion.Split('.');
        if (parts.Length != 3) return ("invalid_grant", "Invalid JWT: Token must be a short-lived token and in a reasonable timeframe.");
        using var header = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[0]));
        if (header.RootElement.GetProperty("alg").GetString() != "RS256") return ("invalid_grant", "Invalid JWT: unsupported algorithm.");
        var signed = Encoding.ASCII.GetBytes($"{parts[0]}.{parts[1]}");
        if (!Key.VerifyData(signed, Base64Url.DecodeFromChars(parts[2]), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1))
            return ("invalid_grant", "Invalid JWT Signature.");
        using var payload = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[1]));
        var claims = payload.RootElement;
        if (claims.GetProperty("iss").GetString() != ClientEmail) return ("invalid_grant", "Invalid JWT: wrong issuer.");
        if (claims.GetProperty("aud").GetString() != Audience) return ("invalid_grant", $"Invalid JWT: wrong audience {claims.GetProperty("aud").GetString()}.");
        if (claims.GetProperty("exp").GetInt64() - claims.GetProperty("iat").GetInt64() > 3600) return ("invalid_grant", "Invalid JWT: Token must be a short-lived token.");
        var scope = claims.TryGetProperty("scope", out var s) ? s.GetString() ?? "" : "";
        // generateAccessToken callers hold the iam scope (the library asks for it when impersonating) or cloud-platform.
        if (!scope.Split(' ').Intersect(["https://www.googleapis.com/auth/cloud-platform", "https://www.googleapis.com/auth/iam"]).Any()) return ("invalid_scope", "Invalid OAuth scope or ID token audience provided.");
        VerifiedScopes.Enqueue(scope);
        return null;
    }

    /// <summary>The workload identity pool's audience an external account file names; STS checks it.</summary>
    public string PoolAudience { get; init; } = "//iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/pool/providers/k8s";
    /// <summary>The external identity token (e.g. a projected Kubernetes service account token) STS trusts.</summary>
    public string SubjectToken { get; init; } = "k8s-sa-token-" + Guid.NewGuid().ToString("N");

    /// <summary>A workload identity federation credential file reading its subject token from a file.</summary>
    public string ExternalAccountJson(string subjectTokenFile, string? impersonate = null)
    {
        var file = new Dictionary<string, object>
        {
            ["type"] = "external_account",
            ["audience"] = PoolAudience,
            ["subject_token_type"] = "urn:ietf:params:oauth:token-type:jwt",
            ["token_url"] = new Uri(BaseAddress, "sts").AbsoluteUri,
            ["credential_source"] = new Dictionary<string, string> { ["file"] = subjectTokenFile },
        };
        if (impersonate is not null) file["service_account_impersonation_url"] = ImpersonationUrl(impersonate);
        return JsonSerializer.Serialize(file);
    }

    /// <summary>generateAccessToken here for <paramref name="serviceAccount"/>, as credential files write it.</summary>
    public string ImpersonationUrl(string serviceAccount) => new Uri(BaseAddress, $"v1/projects/-/serviceAccounts/{serviceAccount}:generateAccessToken").AbsoluteUri;

    /// <summary>What `gcloud auth application-default login --impersonate-service-account` writes, with the key file as source.</summary>
    public string ImpersonatedFileJson(string serviceAccount) => JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["type"] = "impersonated_service_account",
        ["service_account_impersonation_url"] = ImpersonationUrl(serviceAccount),
        ["delegates"] = Array.Empty<string>(),
        ["source_credentials"] = JsonSerializer.Deserialize<JsonElement>(KeyFileJson()),
    });

    private async Task StsExchangeAsync(HttpContext ctx)
    {
        Interlocked.Increment(ref _tokenRequests);
        var form = await ctx.Request.ReadFormAsync(ctx.RequestAborted);
        string? problem =
            form["grant_type"] != "urn:ietf:params:oauth:grant-type:token-exchange" ? "Invalid grant_type."
            : form["audience"] != PoolAudience ? "Invalid audience."
            : form["subject_token"] != SubjectToken ? "The ID Token provided is invalid."
            : !form["scope"].ToString().Split(' ').Contains("https://www.googleapis.com/auth/cloud-platform") ? "Invalid scope."
            : null;
        if (problem is not null)
        {
            ctx.Response.StatusCode = StatusCodes.Status400BadRequest;
            await ctx.Response.WriteAsJsonAsync(new Dictionary<string, string> { ["error"] = "invalid_grant", ["error_description"] = problem }, ctx.RequestAborted);
            return;
        }
        VerifiedScopes.Enqueue(form["scope"].ToString());
        var token = "ya29.federated-" + Guid.NewGuid().ToString("N");
        IssuedTokens.Enqueue(token);
        await ctx.Response.WriteAsJsonAsync(new Dictionary<string, object>
        {
            ["access_token"] = token,
            ["issued_token_type"] = "urn:ietf:params:oauth:token-type:access_token",
            ["token_type"] = "Bearer",
            ["expires_in"] = ExpiresInSeconds,
        }, ctx.RequestAborted);
    }

    private async Task MetadataTokenAsync(HttpContext ctx)
    {
        Interlocked.Increment(ref _tokenRequests);
        // The metadata server refuses requests without this header (SSRF protection).
        if (ctx.Request.Headers["Metadata-Flavor"] != "Google")
        {
            ctx.Response.StatusCode = StatusCodes.Status403Forbidden;
            return;
        }
        VerifiedScopes.Enqueue(ctx.Request.Query["scopes"].ToString());
        await WriteTokenAsync(ctx, "ya29.gke-");
    }

    /// <summary>
    /// IAM Credentials generateAccessToken: POST v1/projects/-/serviceAccounts/EMAIL:generateAccessToken with a bearer
    /// token Google issued, a JSON body with a non-empty <c>scope</c> list and an optional <c>lifetime</c> ("3600s", at
    /// most 1 h without the org policy that extends it). Errors use Google's API error shape, as IAM does.
    /// </summary>
    private async Task GenerateAccessTokenAsync(HttpContext ctx)
    {
        var target = ctx.Request.RouteValues["rest"]?.ToString() ?? "";
        var bearer = ctx.Request.Headers.Authorization.ToString();
        if (!bearer.StartsWith("Bearer ", StringComparison.Ordinal) || !IssuedTokens.Contains(bearer["Bearer ".Length..]))
        {
            await GoogleErrorAsync(ctx, 401, "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.", "UNAUTHENTICATED");
            return;
        }
        const string suffix = ":generateAccessToken";
        var email = target.EndsWith(suffix, StringComparison.Ordinal) ? target[..^suffix.Length] : "";
        if (!email.Contains('@', StringComparison.Ordinal) || email.Contains('/', StringComparison.Ordinal))
        {
            await GoogleErrorAsync(ctx, 404, "Requested entity was not found.", "NOT_FOUND");
            return;
        }
        string[] scopes;
        string? lifetime;
        try
        {
            using var body = await JsonDocument.ParseAsync(ctx.Request.Body, cancellationToken: ctx.RequestAborted);
            scopes = body.RootElement.TryGetProperty("scope", out var s) && s.ValueKind == JsonValueKind.Array
                ? s.EnumerateArray().Select(e => e.GetString() ?? "").ToArray() : [];
            lifetime = body.RootElement.TryGetProperty("lifetime", out var l) ? l.GetString() : null;
        }
        catch (JsonException)
        {
            await GoogleErrorAsync(ctx, 400, "Invalid JSON payload received.", "INVALID_ARGUMENT");
            return;
        }
        if (scopes.Length == 0 || scopes.Any(string.IsNullOrEmpty))
        {
            await GoogleErrorAsync(ctx, 400, "Scope required.", "INVALID_ARGUMENT");
            return;
        }
        if (lifetime is not null && (!lifetime.EndsWith('s') || !int.TryParse(lifetime[..^1], out var seconds) || seconds is < 1 or > 3600))
        {
            await GoogleErrorAsync(ctx, 400, $"The lifetime {lifetime} is invalid: it must be between 1s and 3600s.", "INVALID_ARGUMENT");
            return;
        }
        ImpersonationRequests.Enqueue(new ImpersonationRequest(email, bearer["Bearer ".Length..], scopes, lifetime));
        if (DeniedTargets.Contains(email))
        {
            await GoogleErrorAsync(ctx, 403, "Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or it may not exist).", "PERMISSION_DENIED");
            return;
        }
        ImpersonationCallers.Enqueue(target);
        var expiry = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.AddSeconds(ExpiresInSeconds).ToUnixTimeSeconds());
        LastImpersonatedExpiry = expiry;
        var token = "ya29.impersonated-" + Guid.NewGuid().ToString("N");
        IssuedTokens.Enqueue(token);
        await ctx.Response.WriteAsJsonAsync(new { accessToken = token, expireTime = expiry.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture) }, ctx.RequestAborted);
    }

    private static async Task GoogleErrorAsync(HttpContext ctx, int code, string message, string status)
    {
        ctx.Response.StatusCode = code;
        await ctx.Response.WriteAsJsonAsync(new { error = new { code, message, status } }, ctx.RequestAborted);
    }

    private async Task WriteTokenAsync(HttpContext ctx, string prefix)
    {
        var token = prefix + Guid.NewGuid().ToString("N");
        IssuedTokens.Enqueue(token);
        await ctx.Response.WriteAsJsonAsync(new Dictionary<string, object> { ["access_token"] = token, ["expires_in"] = ExpiresInSeconds, ["token_type"] = "Bearer" }, ctx.RequestAborted);
    }

    public async ValueTask DisposeAsync()
    {
        if (_host is not null) await _host.DisposeAsync();
        Key.Dispose();
    }
}

/// <summary>One generateAccessToken call: whom, with which caller token, for which scopes and lifetime.</summary>
public sealed record ImpersonationRequest(string Target, string CallerToken, IReadOnlyList<string> Scopes, string? Lifetime);
