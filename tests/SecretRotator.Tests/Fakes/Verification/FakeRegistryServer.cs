using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using SecretRotator.Tests.TestSupport;

namespace SecretRotator.Tests.Fakes.Verification;

public enum RegistryAuth
{
    Anonymous,
    Basic,
    Bearer,
}

/// <summary>
/// A loopback Docker Registry v2 endpoint that only answers <c>GET /v2/</c> and, for Bearer, a token endpoint at
/// <c>/token</c> (the distribution token-auth flow): 401 with a challenge, then 200 for the right credential.
/// Every request is journalled so tests can check what was sent.
/// </summary>
public sealed class FakeRegistryServer : IAsyncDisposable
{
    public const string Service = "fake-registry";
    private readonly ConcurrentDictionary<string, bool> _issuedTokens = new(StringComparer.Ordinal);
    private LoopbackHost? _host;

    private FakeRegistryServer()
    {
    }

    /// <summary>http://127.0.0.1:PORT (no trailing slash): the form a static registry's <c>server:</c> takes for plain-http verification.</summary>
    public string Server { get; private set; } = "";
    public RegistryAuth Auth { get; set; } = RegistryAuth.Basic;
    public Dictionary<string, string> Users { get; } = new(StringComparer.Ordinal);
    /// <summary>JSON field the token endpoint uses: "token" (distribution) or "access_token" (OAuth2 style).</summary>
    public string TokenField { get; set; } = "token";
    /// <summary>When set, /v2/ answers this status to every request (e.g. 503).</summary>
    public HttpStatusCode? ForcedStatus { get; set; }
    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();
    /// <summary>Every token handed out, so tests can assert none of them leaked.</summary>
    public IReadOnlyCollection<string> IssuedTokens => _issuedTokens.Keys.ToList();

    public static async Task<FakeRegistryServer> StartAsync(CancellationToken cancellationToken = default)
    {
        var server = new FakeRegistryServer();
        server._host = await LoopbackHost.StartAsync(server.HandleAsync, cancellationToken: cancellationToken);
        server.Server = server._host.BaseAddress.ToString().TrimEnd('/');
        return server;
    }

    private async Task HandleAsync(HttpContext context)
    {
        var authorization = context.Request.Headers.Authorization.ToString();
        Requests.Enqueue(new RecordedRequest(context.Request.Path, context.Request.QueryString.Value ?? "", authorization.Split(' ')[0]));
        var response = context.Response;
        if (context.Request.Path == "/token" && Auth == RegistryAuth.Bearer)
        {
            if (!BasicMatches(authorization))
            {
                response.StatusCode = StatusCodes.Status401Unauthorized;
                return;
            }
            var token = $"tok-{Guid.NewGuid():N}";
            _issuedTokens[token] = true;
            response.ContentType = "application/json";
            await response.WriteAsync(JsonSerializer.Serialize(new Dictionary<string, object> { [TokenField] = token, ["expires_in"] = 300 }));
            return;
        }
        if (context.Request.Path != "/v2/")
        {
            response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }
        if (ForcedStatus is { } forced)
        {
            response.StatusCode = (int)forced;
            return;
        }
        var ok = Auth switch
        {
            RegistryAuth.Anonymous => true,
            RegistryAuth.Basic => BasicMatches(authorization),
            _ => authorization.StartsWith("Bearer ", StringComparison.Ordinal) && _issuedTokens.ContainsKey(authorization["Bearer ".Length..]),
        };
        if (ok)
        {
            response.ContentType = "application/json";
            await response.WriteAsync("{}");
            return;
        }
        response.StatusCode = StatusCodes.Status401Unauthorized;
        response.Headers.WWWAuthenticate = Auth == RegistryAuth.Basic
            ? "Basic realm=\"fake\""
            : $"Bearer realm=\"{Server}/token\",service=\"{Service}\"";
    }

    private bool BasicMatches(string authorization)
    {
        if (!authorization.StartsWith("Basic ", StringComparison.Ordinal)) return false;
        var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(authorization["Basic ".Length..]));
        var colon = decoded.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 && Users.TryGetValue(decoded[..colon], out var password) && password == decoded[(colon + 1)..];
    }

    public async ValueTask DisposeAsync()
    {
        if (_host is not null) await _host.DisposeAsync();
    }
}

/// <param name="Scheme">The Authorization scheme sent ("" when none); never the credential.</param>
public sealed record RecordedRequest(string Path, string Query, string Scheme);
