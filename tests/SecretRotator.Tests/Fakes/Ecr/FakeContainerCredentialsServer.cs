using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using SecretRotator.Tests.TestSupport;

namespace SecretRotator.Tests.Fakes.Ecr;

/// <summary>
/// The EKS Pod Identity agent / container credentials endpoint (AWS_CONTAINER_CREDENTIALS_FULL_URI): answers a GET
/// whose Authorization header equals the token file content with a fresh session key.
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
        var issued = Keys.Issue("POD");
        _requests.Enqueue((authorization, issued));
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["AccessKeyId"] = issued.AccessKeyId,
            ["SecretAccessKey"] = issued.SecretAccessKey,
            ["Token"] = issued.SessionToken!,
            ["AccountId"] = "111122223333",
            ["Expiration"] = DateTime.UtcNow.AddHours(1).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
        }), context.RequestAborted);
    }

    public ValueTask DisposeAsync() => _server?.DisposeAsync() ?? ValueTask.CompletedTask;
}
