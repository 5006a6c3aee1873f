using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;
using Polly;
using SecretRotator.Networking;

namespace SecretRotator.Registries.Gcr;

/// <summary>A token IAM minted for another service account, and when IAM says it expires.</summary>
public sealed record ImpersonatedToken(string AccessToken, DateTimeOffset ExpireTime);

/// <summary>One generateAccessToken step: the service account, the URL to ask, and delegates as a credential file lists them.</summary>
public sealed record IamImpersonation(string ServiceAccount, Uri Url, IReadOnlyList<string> Delegates)
{
    private const string Method = ":generateAccessToken";

    /// <summary>The step for <c>impersonate:</c>, at <c>iamEndpoint:</c> (appended, not resolved: it may carry a path prefix).</summary>
    public static IamImpersonation At(Uri iamEndpoint, string serviceAccount) =>
        new(serviceAccount, new Uri($"{iamEndpoint.AbsoluteUri.TrimEnd('/')}/v1/projects/-/serviceAccounts/{Uri.EscapeDataString(serviceAccount)}{Method}"), []);

    /// <summary>The step a credential file's <c>service_account_impersonation_url</c> names; null if it is not a URL.</summary>
    public static IamImpersonation? FromUrl(string url, IEnumerable<string>? delegates)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http")) return null;
        var path = Uri.UnescapeDataString(uri.AbsolutePath);
        var start = path.LastIndexOf("/serviceAccounts/", StringComparison.Ordinal);
        var account = start < 0 ? uri.AbsoluteUri : path[(start + "/serviceAccounts/".Length)..];
        if (account.EndsWith(Method, StringComparison.Ordinal)) account = account[..^Method.Length];
        return new IamImpersonation(account, uri, delegates?.ToList() ?? []);
    }
}

/// <summary>
/// IAM Credentials <c>generateAccessToken</c>, called with the source credential's access token as bearer: any source
/// (key file, federation, user, metadata server) can impersonate, and the call goes to the configured IAM endpoint.
/// Google.Apis.Auth's own impersonation turns IAM's error answer into "Server response does not contain a JSON
/// object" and always asks the public host for metadata credentials; this reads IAM's <c>error.message</c>.
/// </summary>
public sealed partial class IamCredentialsClient(IHttpClientFactory httpClients, TimeProvider time, ILogger<IamCredentialsClient> logger)
{
    public const string HttpClientName = "google-iam";
    public static readonly Uri DefaultEndpoint = new("https://iamcredentials.googleapis.com/");

    /// <summary>What is asked for: IAM's default and its maximum without the org policy that allows 12 hours.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(1);
    internal const int MaxAttempts = 3;

    /// <summary>First retry delay; doubled per attempt. Tests set it to zero.</summary>
    internal TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    public async Task<ImpersonatedToken> GenerateAccessTokenAsync(IamImpersonation step, string callerToken, CancellationToken cancellationToken)
    {
        var (serviceAccount, url) = (step.ServiceAccount, step.Url);
        var what = $"IAM generateAccessToken for {serviceAccount} at {url.GetLeftPart(UriPartial.Authority)}";
        var http = httpClients.CreateClient(HttpClientName);
        var fields = new GenerateAccessTokenRequest([GcrRegistryOptions.Scope], $"{(int)Lifetime.TotalSeconds}s", step.Delegates.Count > 0 ? step.Delegates : null);
        // Serialised up front so the request has a Content-Length (JsonContent would be sent chunked).
        var body = JsonSerializer.Serialize(fields, IamJson.Default.GenerateAccessTokenRequest);

        HttpResponseMessage response;
        try
        {
            response = await Pipeline(what).ExecuteAsync(async ct =>
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", callerToken);
                return await http.SendAsync(request, ct);
            }, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new RegistryException("unreachable", $"{what}: cannot connect after {MaxAttempts} attempts: {NetworkFailure.Describe(e)}", e);
        }
        catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new RegistryException("timeout", $"{what}: no answer in time", e);
        }

        using (response)
        {
            var text = (await response.Content.ReadAsStringAsync(cancellationToken)).Replace(callerToken, "[redacted]", StringComparison.Ordinal);
            if (!response.IsSuccessStatusCode)
            {
                var status = (int)response.StatusCode;
                var reason = Reason(response.StatusCode);
                LogRefused(logger, serviceAccount, status, reason);
                throw new RegistryException(reason, $"{what} failed: HTTP {status} {GoogleError(text)}");
            }
            return ParseToken(text) ?? throw new RegistryException("invalid_token", $"{what} answered HTTP {(int)response.StatusCode} without accessToken and expireTime");
        }
    }

    internal static string Reason(HttpStatusCode status) => status switch
    {
        HttpStatusCode.Unauthorized => "unauthorized",
        HttpStatusCode.Forbidden => "forbidden",
        HttpStatusCode.NotFound => "not_found",
        HttpStatusCode.BadRequest => "invalid_request",
        HttpStatusCode.TooManyRequests => "throttled",
        _ when (int)status >= 500 => "server_error",
        _ => "auth_failed",
    };

    /// <summary>Google's API error <c>{"error":{"code":403,"message":"...","status":"PERMISSION_DENIED"}}</c> as "STATUS: message".</summary>
    private static string GoogleError(string body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object)
            {
                var status = Text(error, "status");
                var message = Text(error, "message");
                if (status is not null || message is not null) return $"{status ?? "(no status)"}: {message ?? "(no message)"}";
            }
        }
        catch (JsonException)
        {
            // A proxy's HTML page or plain text: shown as it is, shortened.
        }
        var plain = body.ReplaceLineEndings(" ").Trim();
        return plain.Length == 0 ? "(empty body)" : plain.Length <= 500 ? plain : plain[..500] + "...";
    }

    private static ImpersonatedToken? ParseToken(string body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            var root = doc.RootElement;
            return root.ValueKind == JsonValueKind.Object && Text(root, "accessToken") is { } token && Text(root, "expireTime") is { } expire
                && DateTimeOffset.TryParse(expire, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
                ? new ImpersonatedToken(token, at) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string? Text(JsonElement e, string name) =>
        e.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.String && p.GetString() is { Length: > 0 } value ? value : null;

    private ResiliencePipeline<HttpResponseMessage> Pipeline(string what) =>
        HttpRetry.Pipeline(time, MaxAttempts - 1, RetryDelay, args =>
        {
            LogRetrying(logger, what, args.Outcome.Result is { } r ? $"HTTP {(int)r.StatusCode}" : NetworkFailure.Describe(args.Outcome.Exception!), args.AttemptNumber + 1);
            return ValueTask.CompletedTask;
        });

    [LoggerMessage(EventId = 2151, Level = LogLevel.Warning, Message = "{Call} failed transiently ({Failure}), attempt {Attempt} follows")]
    private static partial void LogRetrying(ILogger logger, string call, string failure, int attempt);

    [LoggerMessage(EventId = 2152, Level = LogLevel.Warning, Message = "IAM refused to mint a token for {ServiceAccount}: HTTP {Status} (reason {Reason})")]
    private static partial void LogRefused(ILogger logger, string serviceAccount, int status, string reason);
}

/// <summary>The body of <c>generateAccessToken</c>; <c>delegates</c> only when the chain has any.</summary>
internal sealed record GenerateAccessTokenRequest(
    [property: JsonPropertyName("scope")] IReadOnlyList<string> Scope,
    [property: JsonPropertyName("lifetime")] string Lifetime,
    [property: JsonPropertyName("delegates"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string>? Delegates);

/// <summary>Source-generated, so the IAM call needs no reflection (Native AOT: docs/performance.md).</summary>
[JsonSerializable(typeof(GenerateAccessTokenRequest))]
internal sealed partial class IamJson : JsonSerializerContext;
