using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using SecretRotator.Tests.TestSupport;

namespace SecretRotator.Tests.Fakes.Ecr;

/// <summary>One request as the fake ECR saw it (after its signature was checked).</summary>
public sealed record EcrRequestRecord(string Method, string Path, string? Target, string? ContentType, string Body, string Host, SigV4Claims? Signature, string? SignatureError);

/// <summary>A scripted answer: status, JSON body and an optional X-Amzn-ErrorType header.</summary>
public sealed record FakeAwsAnswer(int Status, string Body, string? ErrorTypeHeader = null)
{
    public static FakeAwsAnswer Error(int status, string type, string message) =>
        new(status, JsonSerializer.Serialize(new Dictionary<string, string> { ["__type"] = type, ["message"] = message }));
}

/// <summary>
/// Loopback ECR and ECR Public: verifies SigV4, X-Amz-Target and the content type, then answers with a
/// canned token (or the next scripted answer). Private: authorizationData is a list; public: an object.
/// </summary>
public sealed class FakeEcrServer : IAsyncDisposable
{
    public const string PrivateTarget = "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken";
    public const string PublicTarget = "SpencerFrontendService.GetAuthorizationToken";

    private readonly ConcurrentQueue<FakeAwsAnswer> _script = new();
    private readonly ConcurrentQueue<EcrRequestRecord> _requests = new();
    private LoopbackHost? _server;

    private FakeEcrServer(AwsTestKeys keys) => Keys = keys;

    public AwsTestKeys Keys { get; }
    public Uri Address => _server!.BaseAddress;
    public IReadOnlyList<EcrRequestRecord> Requests => _requests.ToArray();

    /// <summary>The password inside the token ("AWS:" + this, base64).</summary>
    public string Password { get; set; } = "ecr-password-" + Guid.NewGuid().ToString("N");

    /// <summary>expiresAt written verbatim as a JSON number, so fractional and exponent forms can be served.</summary>
    public string ExpiresAtJson { get; set; } = "1732640400";

    /// <summary>proxyEndpoint of private answers; null to leave it out.</summary>
    public string? ProxyEndpoint { get; set; } = "https://111122223333.dkr.ecr.us-east-1.amazonaws.com";

    /// <summary>When set, every answer is a new token (password suffixed -1, -2, ...) that expires this long after it is issued.</summary>
    public TimeSpan? TokenLifetime { get; set; }

    /// <summary>The short-lived tokens issued so far (with <see cref="TokenLifetime"/>), oldest first.</summary>
    public IReadOnlyList<(string Password, DateTimeOffset ExpiresAt)> Issued
    {
        get { lock (_issued) return [.. _issued]; }
    }

    private readonly List<(string Password, DateTimeOffset ExpiresAt)> _issued = [];

    /// <summary>Overrides the token itself (to serve malformed ones).</summary>
    public string? RawToken { get; set; }

    public string Token => RawToken ?? Convert.ToBase64String(Encoding.UTF8.GetBytes("AWS:" + Password));

    public static async Task<FakeEcrServer> StartAsync(AwsTestKeys keys)
    {
        var fake = new FakeEcrServer(keys);
        fake._server = await LoopbackHost.StartAsync(fake.HandleAsync);
        return fake;
    }

    /// <summary>Answers the next requests with these, in order, before returning to the canned token.</summary>
    public void Enqueue(params FakeAwsAnswer[] answers)
    {
        foreach (var answer in answers) _script.Enqueue(answer);
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, context.RequestAborted);
        var body = buffer.ToArray();
        var target = request.Headers["X-Amz-Target"].ToString();

        SigV4Claims? claims = null;
        string? signatureError = null;
        FakeAwsAnswer answer;
        try
        {
            claims = SigV4Verifier.Verify(request, body, Keys, DateTimeOffset.UtcNow);
            answer = Check(request, target, claims) ?? (_script.TryDequeue(out var scripted) ? scripted : Success(target));
        }
        catch (SignatureMismatchException e)
        {
            signatureError = $"{e.Code}: {e.Message}";
            answer = FakeAwsAnswer.Error(e.Code == "InvalidSignatureException" ? 403 : 400, e.Code, e.Message);
        }
        _requests.Enqueue(new EcrRequestRecord(request.Method, request.Path, target.Length == 0 ? null : target, request.ContentType,
            Encoding.UTF8.GetString(body), request.Host.Value ?? "", claims, signatureError));

        context.Response.StatusCode = answer.Status;
        context.Response.ContentType = "application/x-amz-json-1.1";
        if (answer.ErrorTypeHeader is not null) context.Response.Headers["X-Amzn-ErrorType"] = answer.ErrorTypeHeader;
        await context.Response.WriteAsync(answer.Body, context.RequestAborted);
    }

    private static FakeAwsAnswer? Check(HttpRequest request, string target, SigV4Claims claims)
    {
        if (request.Method != "POST" || request.Path != "/")
            return FakeAwsAnswer.Error(404, "UnknownOperationException", $"{request.Method} {request.Path}");
        if (request.ContentType != "application/x-amz-json-1.1")
            return FakeAwsAnswer.Error(400, "SerializationException", $"content type '{request.ContentType}'");
        var expectedService = target switch { PrivateTarget => "ecr", PublicTarget => "ecr-public", _ => null };
        if (expectedService is null)
            return FakeAwsAnswer.Error(400, "UnknownOperationException", $"target '{target}'");
        if (claims.Service != expectedService)
            return FakeAwsAnswer.Error(403, "InvalidSignatureException", $"signed for service {claims.Service}, expected {expectedService}");
        return null;
    }

    private FakeAwsAnswer Success(string target)
    {
        var (token, expiresAt) = (Token, ExpiresAtJson);
        if (TokenLifetime is { } lifetime)
        {
            lock (_issued)
            {
                var issued = (Password: $"{Password}-{_issued.Count + 1}", ExpiresAt: DateTimeOffset.UtcNow + lifetime);
                _issued.Add(issued);
                token = Convert.ToBase64String(Encoding.UTF8.GetBytes("AWS:" + issued.Password));
                expiresAt = (issued.ExpiresAt.ToUnixTimeMilliseconds() / 1000.0).ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
        }
        var item = $"\"authorizationToken\":\"{token}\",\"expiresAt\":{expiresAt}";
        return target == PublicTarget
            ? new(200, "{\"authorizationData\":{" + item + "}}")
            : new(200, "{\"authorizationData\":[{" + item + (ProxyEndpoint is null ? "" : $",\"proxyEndpoint\":\"{ProxyEndpoint}\"") + "}]}");
    }

    public ValueTask DisposeAsync() => _server?.DisposeAsync() ?? ValueTask.CompletedTask;
}
