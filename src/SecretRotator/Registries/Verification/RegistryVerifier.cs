using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using SecretRotator.Kubernetes;

namespace SecretRotator.Registries.Verification;

/// <summary>
/// The Docker Registry HTTP API v2 login that <c>docker login</c> does: GET /v2/; on 401 answer the challenge with
/// HTTP Basic, or for Bearer fetch a token from the realm with Basic and retry with it. Neither password nor token is
/// ever logged or put into an exception message.
/// </summary>
public sealed partial class RegistryVerifier(IHttpClientFactory httpClients, ILogger<RegistryVerifier> logger) : IRegistryVerifier
{
    public const string HttpClientName = "registry-verify";
    public const string FailedReason = "verify_failed";
    public const string UnreachableReason = "verify_unreachable";

    public async Task VerifyAsync(DockerAuthEntry entry, CancellationToken cancellationToken)
    {
        var baseUri = RegistryEndpoint.BaseUri(entry.Server);
        if (!baseUri.IsLoopback || RegistryEndpoint.HasScheme(entry.Server))
        {
            await VerifyAtAsync(entry, baseUri, cancellationToken);
            return;
        }
        // Like docker for a local registry (127.0.0.0/8, ::1, localhost) named without a scheme: https first, then http.
        try
        {
            await VerifyAtAsync(entry, baseUri, cancellationToken);
        }
        catch (RegistryException e) when (e.Reason == UnreachableReason && e.InnerException is HttpRequestException)
        {
            var plain = new UriBuilder(baseUri) { Scheme = Uri.UriSchemeHttp, Port = baseUri.IsDefaultPort ? -1 : baseUri.Port }.Uri;
            LogPlainHttpFallback(logger, entry.Server, e.Message);
            try
            {
                await VerifyAtAsync(entry, plain, cancellationToken);
            }
            catch (RegistryException f)
            {
                // Neither worked: the https failure (e.g. an untrusted certificate) is the one to fix; say both.
                throw new RegistryException(e.Reason, $"{e.Message}; plain http: {f.Message}", e);
            }
        }
    }

    private async Task VerifyAtAsync(DockerAuthEntry entry, Uri baseUri, CancellationToken cancellationToken)
    {
        var ping = new Uri(baseUri, "v2/");
        var http = httpClients.CreateClient(HttpClientName);
        try
        {
            AuthChallenge challenge;
            using (var anonymous = await SendAsync(http, ping, null, cancellationToken))
            {
                if (anonymous.StatusCode == HttpStatusCode.OK)
                {
                    // Nothing to prove: the registry lets anyone in, so the credential cannot be wrong for pulls.
                    LogAnonymous(logger, entry.Server, ping);
                    return;
                }
                if (anonymous.StatusCode != HttpStatusCode.Unauthorized) throw Unexpected(entry, ping, anonymous.StatusCode);
                challenge = AuthChallenge.Select(anonymous.Headers.WwwAuthenticate)
                    ?? throw new RegistryException(FailedReason, $"{ping} answered 401 without a Basic or Bearer challenge");
            }
            var authorization = challenge.Scheme == "basic"
                ? Basic(entry)
                : new AuthenticationHeaderValue("Bearer", await FetchTokenAsync(http, entry, baseUri, challenge, cancellationToken));

            using var authenticated = await SendAsync(http, ping, authorization, cancellationToken);
            if (authenticated.StatusCode != HttpStatusCode.OK) throw Unexpected(entry, ping, authenticated.StatusCode);
            LogVerified(logger, entry.Server, entry.Username, challenge.Scheme);
        }
        catch (HttpRequestException e)
        {
            // The outer message ("The SSL connection could not be established, see inner exception") hides the cause.
            throw new RegistryException(UnreachableReason, $"cannot reach {ping}: {Networking.NetworkFailure.Describe(e)}", e);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new RegistryException(UnreachableReason, $"{ping} did not answer within {http.Timeout.TotalSeconds:0}s", e);
        }
    }

    private static async Task<string> FetchTokenAsync(HttpClient http, DockerAuthEntry entry, Uri baseUri, AuthChallenge challenge, CancellationToken cancellationToken)
    {
        if (challenge["realm"] is not { Length: > 0 } realmText || !Uri.TryCreate(baseUri, realmText, out var realm))
            throw new RegistryException(FailedReason, $"{baseUri} sent a Bearer challenge without a usable realm");
        // Basic credentials go to the realm; never downgrade them to plain http behind an https registry.
        if (realm.Scheme != Uri.UriSchemeHttps && baseUri.Scheme == Uri.UriSchemeHttps)
            throw new RegistryException(FailedReason, $"token realm {realm} of {baseUri} is not https; credentials not sent");

        var query = new StringBuilder();
        if (challenge["service"] is { } service) query.Append("service=").Append(Uri.EscapeDataString(service)).Append('&');
        query.Append("account=").Append(Uri.EscapeDataString(entry.Username));
        var tokenUri = new UriBuilder(realm) { Query = string.IsNullOrEmpty(realm.Query) ? query.ToString() : $"{realm.Query[1..]}&{query}" }.Uri;

        using var response = await SendAsync(http, tokenUri, Basic(entry), cancellationToken);
        if (response.StatusCode != HttpStatusCode.OK) throw Unexpected(entry, realm, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        try
        {
            using var json = JsonDocument.Parse(body);
            foreach (var name in (string[])["token", "access_token"])
            {
                if (json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty(name, out var token)
                    && token.ValueKind == JsonValueKind.String && token.GetString() is { Length: > 0 } value)
                    return value;
            }
        }
        catch (JsonException e)
        {
            // The body may echo the token; say only that it was not JSON.
            throw new RegistryException(FailedReason, $"token endpoint {realm} answered with invalid JSON", e);
        }
        throw new RegistryException(FailedReason, $"token endpoint {realm} answered without token or access_token");
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient http, Uri uri, AuthenticationHeaderValue? authorization, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        request.Headers.Authorization = authorization;
        return await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
    }

    private static AuthenticationHeaderValue Basic(DockerAuthEntry entry) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{entry.Username}:{entry.Password}")));

    /// <summary>401/403 and other 4xx: the credential (or the server) is wrong. 5xx/429: the registry could not tell.</summary>
    private static RegistryException Unexpected(DockerAuthEntry entry, Uri uri, HttpStatusCode status)
    {
        var code = (int)status;
        return code is >= 500 or 429
            ? new RegistryException(UnreachableReason, $"{uri} answered {code} {status} while verifying user {entry.Username}")
            : status is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden
                ? new RegistryException(FailedReason, $"{uri} rejected user {entry.Username} ({code} {status})")
                : new RegistryException(FailedReason, $"{uri} answered {code} {status} while verifying user {entry.Username}; is it a v2 registry?");
    }

    [LoggerMessage(EventId = 2301, Level = LogLevel.Information, Message = "Verified credential for {Server} (user {Username}, {Scheme} auth)")]
    private static partial void LogVerified(ILogger logger, string server, string username, string scheme);

    [LoggerMessage(EventId = 2303, Level = LogLevel.Information, Message = "Local registry {Server}: https failed ({Failure}); trying plain http, as docker does")]
    private static partial void LogPlainHttpFallback(ILogger logger, string server, string failure);

    [LoggerMessage(EventId = 2302, Level = LogLevel.Warning, Message = "Registry {Server} allows anonymous access at {Uri}: credential not checked")]
    private static partial void LogAnonymous(ILogger logger, string server, Uri uri);
}
