using System.Collections.Concurrent;
using System.Globalization;
using System.Security;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using SecretRotator.Tests.TestSupport;

namespace SecretRotator.Tests.Fakes.Ecr;

/// <summary>One STS call: the form fields, the signature (AssumeRole only) and the key handed out.</summary>
public sealed record StsRequestRecord(string Action, IReadOnlyDictionary<string, string> Form, SigV4Claims? Signature, AwsTestKey? Issued, string? Error);

/// <summary>
/// Loopback STS (reached through AWS_ENDPOINT_URL_STS). AssumeRoleWithWebIdentity is unsigned and must carry the
/// expected web identity token; AssumeRole must be SigV4-signed for sts by a known key. Issued keys are added to
/// <see cref="Keys"/> so the fake ECR accepts requests signed with them.
/// </summary>
public sealed class FakeStsServer : IAsyncDisposable
{
    private readonly ConcurrentQueue<StsRequestRecord> _requests = new();
    private readonly ConcurrentDictionary<string, string> _deniedRoles = new(StringComparer.Ordinal);
    private LoopbackHost? _server;

    private FakeStsServer(AwsTestKeys keys) => Keys = keys;

    public AwsTestKeys Keys { get; }
    public Uri Address => _server!.BaseAddress;
    public IReadOnlyList<StsRequestRecord> Requests => _requests.ToArray();

    /// <summary>The web identity token (the projected service account token) AssumeRoleWithWebIdentity must present.</summary>
    public string ExpectedWebIdentityToken { get; set; } = "";

    public void Deny(string roleArn) => _deniedRoles[roleArn] = roleArn;

    /// <summary>While enabled, a request is read and never answered (until released): an STS that hangs.</summary>
    public RequestHold Hold { get; } = new();

    // The fixture is shared by a test collection. A run whose STS hung gives up at its deadline, but the AWS SDK's
    // credential refresh it abandoned retries after the test released its hold, possibly into the next test: that
    // request must neither complete the next test's hold nor enter its journal. Runs are told apart by their projected
    // token (tests that hold use a fresh one each).
    private readonly ConcurrentDictionary<string, int> _heldTokens = new(StringComparer.Ordinal);

    private bool IsLateRetryOfHungRun(string? token)
    {
        if (token is null) return false;
        if (_heldTokens.TryGetValue(token, out var generation)) return !Hold.Enabled || generation != Hold.Generation;
        if (Hold.Enabled) _heldTokens[token] = Hold.Generation;
        return false;
    }

    public void Clear()
    {
        _requests.Clear();
        _deniedRoles.Clear();
    }

    public static async Task<FakeStsServer> StartAsync(AwsTestKeys keys)
    {
        var fake = new FakeStsServer(keys);
        fake._server = await LoopbackHost.StartAsync(fake.HandleAsync);
        return fake;
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
        var body = buffer.ToArray();
        var form = QueryHelpers.ParseQuery(Encoding.UTF8.GetString(body)).ToDictionary(p => p.Key, p => p.Value.ToString(), StringComparer.Ordinal);
        if (IsLateRetryOfHungRun(form.GetValueOrDefault("WebIdentityToken")))
        {
            context.Abort(); // its test has ended: gone, as that test's process would be
            return;
        }
        if (await Hold.HoldAsync(context)) return;
        var action = form.GetValueOrDefault("Action", "");
        var role = form.GetValueOrDefault("RoleArn", "");

        SigV4Claims? claims = null;
        try
        {
            if (action == "AssumeRole")
            {
                claims = SigV4Verifier.Verify(context.Request, body, Keys, DateTimeOffset.UtcNow);
                if (claims.Service != "sts") throw new SignatureMismatchException("SignatureDoesNotMatch", $"signed for {claims.Service}");
            }
            else if (action == "AssumeRoleWithWebIdentity")
            {
                if (form.GetValueOrDefault("WebIdentityToken") != ExpectedWebIdentityToken)
                    throw new SignatureMismatchException("InvalidIdentityToken", "web identity token does not match the projected token");
            }
            else throw new SignatureMismatchException("InvalidAction", $"unexpected action '{action}'");

            if (_deniedRoles.ContainsKey(role))
                throw new SignatureMismatchException("AccessDenied", $"User is not authorized to perform: sts:{action} on resource: {role}");
        }
        catch (SignatureMismatchException e)
        {
            _requests.Enqueue(new StsRequestRecord(action, form, claims, null, $"{e.Code}: {e.Message}"));
            await WriteAsync(context, 403, $"<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type><Code>{e.Code}</Code><Message>{SecurityElement.Escape(e.Message)}</Message></Error><RequestId>fake</RequestId></ErrorResponse>");
            return;
        }

        var issued = Keys.Issue(action == "AssumeRole" ? "ROLE" : "WEBID");
        _requests.Enqueue(new StsRequestRecord(action, form, claims, issued, null));
        var expiration = DateTime.UtcNow.AddHours(1).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        var session = form.GetValueOrDefault("RoleSessionName", "");
        await WriteAsync(context, 200, $"""
            <{action}Response xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
              <{action}Result>
                <Credentials>
                  <AccessKeyId>{issued.AccessKeyId}</AccessKeyId>
                  <SecretAccessKey>{SecurityElement.Escape(issued.SecretAccessKey)}</SecretAccessKey>
                  <SessionToken>{issued.SessionToken}</SessionToken>
                  <Expiration>{expiration}</Expiration>
                </Credentials>
                <AssumedRoleUser>
                  <Arn>{SecurityElement.Escape(role.Replace(":iam::", ":sts::", StringComparison.Ordinal).Replace(":role/", ":assumed-role/", StringComparison.Ordinal))}/{SecurityElement.Escape(session)}</Arn>
                  <AssumedRoleId>AROAFAKE:{SecurityElement.Escape(session)}</AssumedRoleId>
                </AssumedRoleUser>
              </{action}Result>
              <ResponseMetadata><RequestId>fake-{Guid.NewGuid():N}</RequestId></ResponseMetadata>
            </{action}Response>
            """);
    }

    private static async Task WriteAsync(HttpContext context, int status, string xml)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/xml";
        await context.Response.WriteAsync(xml, context.RequestAborted);
    }

    public ValueTask DisposeAsync() => _server?.DisposeAsync() ?? ValueTask.CompletedTask;
}
