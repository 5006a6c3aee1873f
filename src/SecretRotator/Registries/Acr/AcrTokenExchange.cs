using System.Text.Json;
using Microsoft.Extensions.Logging;
using Polly;
using SecretRotator.Networking;

namespace SecretRotator.Registries.Acr;

/// <summary>
/// Trades an Entra access token for an ACR refresh token (POST {endpoint}/oauth2/exchange), the password
/// docker login uses with the all-zero username. Transient failures are retried a bounded number of times.
/// </summary>
public sealed partial class AcrTokenExchange(IHttpClientFactory httpClients, TimeProvider time, ILogger<AcrTokenExchange> logger)
{
    public const string HttpClientName = "acr-exchange";
    internal const int MaxAttempts = 3;

    /// <summary>Median first retry delay; doubled per attempt, with jitter. Tests set it to zero.</summary>
    internal TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    public async Task<string> ExchangeAsync(string registry, AcrRegistryOptions options, string? tenant, string accessToken, CancellationToken cancellationToken)
    {
        // Appended, not resolved: a private endpoint may carry a path prefix.
        var url = new Uri(options.Endpoint.AbsoluteUri.TrimEnd('/') + "/oauth2/exchange");
        var http = httpClients.CreateClient(HttpClientName);
        var form = new List<KeyValuePair<string, string>>
        {
            new("grant_type", "access_token"),
            new("service", options.Server),
            new("access_token", accessToken),
        };
        if (tenant is not null) form.Add(new("tenant", tenant));

        HttpResponseMessage response;
        try
        {
            response = await Pipeline(registry, url).ExecuteAsync(async ct =>
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new FormUrlEncodedContent(form) };
                return await http.SendAsync(request, ct);
            }, cancellationToken);
        }
        catch (HttpRequestException ex)
        {
            throw new RegistryException("exchange_failed", $"cannot reach the token exchange at {url} after {MaxAttempts} attempts: {ex.Message}", ex);
        }
        catch (TaskCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new RegistryException("exchange_failed", $"the token exchange at {url} timed out", ex);
        }

        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            if (!response.IsSuccessStatusCode)
                throw new RegistryException("exchange_failed",
                    $"token exchange at {url} failed: HTTP {(int)response.StatusCode} {response.ReasonPhrase}: {Shorten(body.Replace(accessToken, "[redacted]", StringComparison.Ordinal))}");

            var refreshToken = ReadRefreshToken(body);
            if (refreshToken is null)
                throw new RegistryException("exchange_failed", $"token exchange at {url} answered HTTP {(int)response.StatusCode} without a refresh_token");
            LogExchanged(logger, registry, options.Server);
            return refreshToken;
        }
    }

    private ResiliencePipeline<HttpResponseMessage> Pipeline(string registry, Uri url) =>
        HttpRetry.Pipeline(time, MaxAttempts - 1, RetryDelay, args =>
        {
            LogRetrying(logger, registry, url, args.AttemptNumber + 1, args.Outcome.Result is { } r ? ((int)r.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture) : args.Outcome.Exception?.GetType().Name ?? "error");
            return ValueTask.CompletedTask;
        });

    private static string? ReadRefreshToken(string body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            return doc.RootElement.ValueKind == JsonValueKind.Object
                && doc.RootElement.TryGetProperty("refresh_token", out var t) && t.ValueKind == JsonValueKind.String
                && t.GetString() is { Length: > 0 } value ? value : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string Shorten(string body)
    {
        body = body.Trim();
        if (body.Length == 0) return "(empty body)";
        return body.Length <= 500 ? body : body[..500] + "...";
    }

    [LoggerMessage(EventId = 2110, Level = LogLevel.Warning, Message = "Registry {Registry}: token exchange at {Url} failed transiently ({Outcome}), attempt {Attempt} follows")]
    private static partial void LogRetrying(ILogger logger, string registry, Uri url, int attempt, string outcome);

    [LoggerMessage(EventId = 2111, Level = LogLevel.Debug, Message = "Registry {Registry}: exchanged the Entra token for a refresh token for {Server}")]
    private static partial void LogExchanged(ILogger logger, string registry, string server);
}
