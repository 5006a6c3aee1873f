using System.Net.Http.Headers;
using System.Text.Json;
using Amazon;
using Amazon.Runtime;
using Amazon.Runtime.Signing;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Logging;
using Polly;
using SecretRotator.Networking;

namespace SecretRotator.Registries.Ecr;

/// <summary>One AWS JSON 1.1 GetAuthorizationToken call: whom to ask, how to sign, for which registry.</summary>
public sealed record AwsTokenCall(string Registry, string Service, string Target, string SigningRegion, Uri Endpoint, AWSCredentials Credentials);

/// <summary>
/// Sends a SigV4-signed AWS JSON 1.1 request (signing by AWSSDK.Core's SigV4SigningHandler) with bounded
/// retries on throttling, 5xx and connection failures, and turns AWS errors into <see cref="RegistryException"/>s.
/// </summary>
public sealed class AwsTokenClient(IHttpMessageHandlerFactory handlerFactory, EcrHttpOptions options, TimeProvider time, ILogger<AwsTokenClient> logger)
{
    public const string HttpClientName = "aws-token";
    private static readonly MediaTypeHeaderValue AwsJson = new("application/x-amz-json-1.1");

    /// <summary>Returns the parsed JSON body of a successful answer; the caller disposes it.</summary>
    public async Task<JsonDocument> CallAsync(AwsTokenCall call, CancellationToken cancellationToken)
    {
        EcrLog.Requesting(logger, call.Service, call.Registry, call.Endpoint, call.SigningRegion);
        // Retries sit outside the signer so every attempt is signed afresh (SigV4SigningHandler's documented order).
        // The factory's handler is lifetime-tracked: disposing this chain does not dispose the pooled connection handler.
        var signer = new SigV4SigningHandler(call.Credentials, RegionEndpoint.GetBySystemName(call.SigningRegion), call.Service,
            handlerFactory.CreateHandler(HttpClientName));
        using var chain = new ResilienceHandler(Pipeline(call)) { InnerHandler = signer };
        using var client = new HttpClient(chain) { Timeout = options.Timeout };
        using var request = new HttpRequestMessage(HttpMethod.Post, call.Endpoint) { Content = new ByteArrayContent("{}"u8.ToArray()) };
        request.Content.Headers.ContentType = AwsJson;
        request.Headers.Add("X-Amz-Target", call.Target);

        HttpResponseMessage response;
        try
        {
            response = await client.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new RegistryException("unreachable", $"cannot reach {call.Endpoint}: {e.Message}", e);
        }
        catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new RegistryException("timeout", $"no answer from {call.Endpoint} within {options.Timeout.TotalSeconds:0}s", e);
        }
        catch (AmazonClientException e)
        {
            // Credentials are resolved before the call; this is a refresh that failed mid-way.
            throw new RegistryException("credentials_failed", $"AWS credentials failed while signing: {e.Message}", e);
        }

        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                var (code, message) = AwsErrors.Parse(response, body);
                var status = (int)response.StatusCode;
                var reason = AwsErrors.Reason(code, status);
                EcrLog.Failed(logger, call.Registry, call.Service, status, code ?? "-", reason);
                throw new RegistryException(reason,
                    $"{call.Target} at {call.Endpoint} failed: HTTP {status} {code ?? "(no error code)"}{(message is null ? "" : $": {message}")}");
            }
            try
            {
                return JsonDocument.Parse(body);
            }
            catch (JsonException e)
            {
                throw new RegistryException("bad_response", $"{call.Endpoint} answered 200 with a body that is not JSON", e);
            }
        }
    }

    // The domain rule replaces the transient predicate: AWS signals throttling as 400 with a code in the body.
    private ResiliencePipeline<HttpResponseMessage> Pipeline(AwsTokenCall call) =>
        HttpRetry.Pipeline(time, Math.Max(1, options.MaxRetries), options.RetryDelay, async args =>
        {
            var delay = (long)args.RetryDelay.TotalMilliseconds;
            if (args.Outcome.Result is { } r)
                EcrLog.Retrying(logger, call.Registry, call.Service, (int)r.StatusCode, await ErrorCodeAsync(r, args.Context.CancellationToken) ?? "-", args.AttemptNumber + 1, delay);
            else
                EcrLog.RetryingTransport(logger, call.Registry, call.Service, args.Outcome.Exception?.Message ?? "-", args.AttemptNumber + 1, delay);
        }, args => ShouldRetry(args.Outcome, args.Context.CancellationToken));

    private static async ValueTask<bool> ShouldRetry(Outcome<HttpResponseMessage> outcome, CancellationToken cancellationToken)
    {
        if (outcome.Exception is HttpRequestException) return true;
        if (outcome.Result is not { IsSuccessStatusCode: false } response) return false;
        return AwsErrors.IsRetryable(response.StatusCode, await ErrorCodeAsync(response, cancellationToken));
    }

    private static async ValueTask<string?> ErrorCodeAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        // Throttling arrives as 400 with the code in the body; buffering lets the final reader still see it.
        await response.Content.LoadIntoBufferAsync(cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        return AwsErrors.Parse(response, body).Code;
    }
}
