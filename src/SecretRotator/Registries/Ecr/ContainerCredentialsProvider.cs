using System.Globalization;
using System.Text.Json;
using Amazon.Runtime;
using Microsoft.Extensions.Logging;
using Polly;
using SecretRotator.Networking;

namespace SecretRotator.Registries.Ecr;

/// <summary>
/// Credentials from the EKS Pod Identity agent or the ECS container endpoint, fetched in place of AWSSDK.Core's
/// GenericContainerCredentials, which drops the endpoint's answer ("Unable to retrieve credentials ... 400 (Bad
/// Request)"). Same variables, hosts and token handling (<see cref="ContainerCredentialsEndpoint"/>), same refresh
/// 15 minutes before expiry; a refusal says the agent's code and message, and never the token.
/// </summary>
public sealed class ContainerCredentialsProvider(ContainerCredentialsEndpoint endpoint, IHttpClientFactory httpClients, EcrHttpOptions options,
    TimeProvider time, ILogger<ContainerCredentialsProvider> logger) : IDisposable
{
    public const string HttpClientName = "aws-container-credentials";
    private static readonly TimeSpan RefreshBefore = TimeSpan.FromMinutes(15);   // the SDK's PreemptExpiryTime

    private readonly SemaphoreSlim _gate = new(1, 1);
    private (AWSCredentials Credentials, DateTimeOffset Expiration)? _current;

    /// <summary>The cached credentials while they are fresh (one instance, so assumed roles on top are kept), else new ones.</summary>
    public async Task<AWSCredentials> GetAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_current is not { } current || current.Expiration - RefreshBefore <= time.GetUtcNow())
                _current = current = await FetchAsync(cancellationToken);
            return current.Credentials;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<(AWSCredentials, DateTimeOffset)> FetchAsync(CancellationToken cancellationToken)
    {
        var uri = endpoint.Resolve();
        var name = ContainerCredentialsEndpoint.Describe(uri);
        var http = httpClients.CreateClient(HttpClientName);
        using var deadline = new CancellationTokenSource(options.Timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        string? token = null;
        HttpResponseMessage response;
        try
        {
            response = await Pipeline(name).ExecuteAsync(async ct =>
            {
                token = await endpoint.AuthorizationAsync(ct);
                using var request = new HttpRequestMessage(HttpMethod.Get, uri);
                if (token is not null) request.Headers.TryAddWithoutValidation("Authorization", token);
                return await http.SendAsync(request, ct);
            }, linked.Token);
        }
        catch (HttpRequestException e)
        {
            throw new RegistryException("unreachable", $"cannot reach the {name}: {NetworkFailure.Describe(e)}", e);
        }
        catch (OperationCanceledException e) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new RegistryException("timeout", $"no answer from the {name} within {options.Timeout.TotalSeconds:0}s", e);
        }

        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            if (!response.IsSuccessStatusCode) throw Refused(name, response, token is null ? body : body.Replace(token, "[redacted]", StringComparison.Ordinal));
            return Parse(name, body);
        }
    }

    /// <summary>The agent answers JSON ({"code","message"}) or plain text (http.Error); either way the user reads it.</summary>
    private RegistryException Refused(string name, HttpResponseMessage response, string body)
    {
        var status = (int)response.StatusCode;
        var (code, message) = AwsErrors.Parse(response, body);
        var reason = code is not null ? AwsErrors.Reason(code, status) : status switch
        {
            400 or 401 => "web_identity_rejected",   // the agent did not accept the projected token
            403 => "access_denied",
            _ => AwsErrors.Reason(null, status),
        };
        var detail = code is not null ? $" {code}{(message is null ? "" : $": {message}")}" : $": {Shorten(body)}";
        EcrLog.ContainerCredentialsRefused(logger, name, status, code ?? "-", reason);
        return new RegistryException(reason, $"the {name} refused the credentials request: HTTP {status}{detail}");
    }

    private static (AWSCredentials, DateTimeOffset) Parse(string name, string body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            var root = doc.RootElement;
            if (Text(root, "AccessKeyId") is { } keyId && Text(root, "SecretAccessKey") is { } secret)
            {
                AWSCredentials credentials = Text(root, "Token") is { } session
                    ? new SessionAWSCredentials(keyId, secret, session)
                    : new BasicAWSCredentials(keyId, secret);
                // Without an expiration the next call asks again, as the SDK would.
                var expiration = Text(root, "Expiration") is { } e
                    && DateTimeOffset.TryParse(e, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at : DateTimeOffset.MinValue;
                return (credentials, expiration);
            }
        }
        catch (JsonException)
        {
            // Reported below without the body: a half-readable answer may still hold a secret key.
        }
        throw new RegistryException("bad_response", $"the {name} answered without AccessKeyId and SecretAccessKey");
    }

    // The agent's 4xx are final; 408, 429, 5xx and transport failures are the shared transient set.
    private ResiliencePipeline<HttpResponseMessage> Pipeline(string name) =>
        HttpRetry.Pipeline(time, Math.Max(1, options.MaxRetries), options.RetryDelay, args =>
        {
            var what = args.Outcome.Result is { } r ? $"HTTP {(int)r.StatusCode}" : NetworkFailure.Describe(args.Outcome.Exception!);
            EcrLog.ContainerCredentialsRetrying(logger, name, what, args.AttemptNumber + 1, (long)args.RetryDelay.TotalMilliseconds);
            return ValueTask.CompletedTask;
        });

    private static string? Text(JsonElement e, string property) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(property, out var p) && p.ValueKind == JsonValueKind.String
            && p.GetString() is { Length: > 0 } value ? value : null;

    private static string Shorten(string body)
    {
        body = body.ReplaceLineEndings(" ").Trim();
        if (body.Length == 0) return "(empty body)";
        return body.Length <= 500 ? body : body[..500] + "...";
    }

    public void Dispose() => _gate.Dispose();
}
