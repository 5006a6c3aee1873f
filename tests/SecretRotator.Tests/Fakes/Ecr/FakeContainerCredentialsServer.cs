using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using SecretRotator.Tests.TestSupport;

namespace SecretRotator.Tests.Fakes.Ecr;

/// <summary>
/// The EKS Pod Identity agent / container credentials endpoint (AWS_CONTAINER_CREDENTIALS_FULL_URI): answers a GET
/// whose Authorization header equals the token file content with a fresh session key. Like the agent, it checks the
/// token before anything else; <see cref="Refusal"/> then makes it answer as the agent does when EKS Auth refuses
/// (e.g. 403 AccessDeniedException as JSON, or the agent's own plain-text 400).
/// </summary>
public sealed class FakeContainerCredentialsServer : IAsyncDisposable
{
    private readonly ConcurrentQueue<(string? Authorization, AwsTestKey? Issued)> _requests = new();
    private LoopbackHost? _server;

    private FakeContainerCredentialsServer(AwsTestKeys keys) => Keys = keys;

    public AwsTestKeys Keys { get; }
    public Uri Credentials => new(_server!.BaseAddress, "/v1/credentials");
    public IReadOnlyList<(string? Authorization, AwsTestKey? Issued)> Requests => _requests.ToArray();
    public string ExpectedAuthorization { get; set; } = "";
    /// <summary>Lifetime of issued credentials (the SDK and the product refresh them 15 minutes before expiry).</summary>
    public TimeSpan Lifetime { get; set; } = TimeSpan.FromHours(1);
    /// <summary>When set, a request with the right token is answered with this status, content type and body.</summary>
    public (int Status, string ContentType, string Body)? Refusal { get; set; }
    /// <summary>How many of the next requests with the right token are answered 503 (the agent restarting).</summary>
    public int Unavailable { get; set; }

    public static async Task<FakeContainerCredentialsServer> StartAsync(AwsTestKeys keys)
    {
        var fake = new FakeContainerCredentialsServer(keys);
        fake._server = await LoopbackHost.StartAsync(fake.HandleAsync);
        return fake;
    }

    private async Task HandleAsync(HttpContext context)
    {
        var authorization = context.Request.Headers.Authorization.ToString();
        if (context.Request.Path != "/v1/credentials" || authorization != ExpectedAuthorization)
        {
            _requests.Enqueue((authorization, null));
            context.Response.StatusCode = 401;
            return;
        }
        if (Unavailable > 0)
        {
            Unavailable--;
            _requests.Enqueue((authorization, null));
            context.Response.StatusCode = 503;
            return;
        }
        if (Refusal is { } refusal)
        {
            _requests.Enqueue((authorization, null));
            context.Response.StatusCode = refusal.Status;
            context.Response.ContentType = refusal.ContentType;
            await context.Response.WriteAsync(refusal.Body, context.RequestAborted);
            return;
        }
        var issued = Keys.Issue("POD");
        _requests.Enqueue((authorization, issued));
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["AccessKeyId"] = issued.AccessKeyId,
            ["SecretAccessKey"] = issued.SecretAccessKey,
            ["Token"] = issued.SessionToken!,
            ["AccountId"] = "111122223333",
            ["Expiration"] = DateTime.UtcNow.Add(Lifetime).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
        }), context.RequestAborted);
    }

    public ValueTask DisposeAsync() => _server?.DisposeAsync() ?? ValueTask.CompletedTask;
}
