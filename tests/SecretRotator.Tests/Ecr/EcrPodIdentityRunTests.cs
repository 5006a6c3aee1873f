using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using SecretRotator.Kubernetes;
using SecretRotator.Registries.Ecr;
using SecretRotator.Tests.Fakes.Ecr;
using SecretRotator.Tests.TestSupport;

namespace SecretRotator.Tests.Ecr;

/// <summary>
/// `run` as it runs in an EKS pod with Pod Identity: AWS_CONTAINER_CREDENTIALS_FULL_URI and the token file the webhook
/// injects, the agent faked on loopback, nothing injected into the product.
/// </summary>
[Collection(AwsProcessEnvironmentGroup.Name)]
public sealed class EcrPodIdentityRunTests(AwsFakesFixture fakes) : IAsyncLifetime
{
    private RotatorHarness _h = null!;
    private AwsEnvironmentScope? _env;
    private readonly string _podToken = "eyJhbGciOiJSUzI1NiJ9.pod-identity-token." + Guid.NewGuid().ToString("N");

    public async ValueTask InitializeAsync()
    {
        _h = await RotatorHarness.StartAsync("default");
        fakes.PodIdentity.ExpectedAuthorization = _podToken;
        fakes.PodIdentity.Refusal = null;
        fakes.PodIdentity.Unavailable = 0;
        _env = new AwsEnvironmentScope(new Dictionary<string, string>
        {
            ["AWS_REGION"] = "us-east-1",
            ["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = fakes.PodIdentity.Credentials.ToString(),
            ["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"] = _h.WriteFile("eks-pod-identity-token", _podToken),
            ["AWS_ENDPOINT_URL_ECR"] = fakes.Ecr.Address.ToString(),
        });
        _h.Configure = services => services.AddSingleton(new EcrHttpOptions { RetryDelay = TimeSpan.Zero });
    }

    public async ValueTask DisposeAsync()
    {
        fakes.PodIdentity.Refusal = null;
        _env?.Dispose();
        await _h.DisposeAsync();
    }

    private string Config() => _h.WriteConfig("""
        registries:
          - name: prod-ecr
            type: ecr
            region: us-east-1
            accounts: ["111122223333"]
        secrets:
          - name: regcred
            registries: [prod-ecr]
            namespaces: {names: [default]}
        """);

    [Fact]
    public async Task Run_PodIdentity_WritesSecretSignedWithAgentCredentials()
    {
        var result = await _h.RunCliAsync("run", "--config", Config());

        Assert.True(result.ExitCode == 0, result.ToString());
        var agent = fakes.PodIdentity.Requests[^1];
        Assert.Equal(_podToken, agent.Authorization);
        Assert.Equal(agent.Issued!.AccessKeyId, fakes.Ecr.Requests[^1].Signature!.AccessKeyId);
        using var json = JsonDocument.Parse(_h.Secret("default", "regcred").Data[ManagedSecret.DataKey]);
        Assert.True(json.RootElement.GetProperty("auths").TryGetProperty("111122223333.dkr.ecr.us-east-1.amazonaws.com", out _));
        Assert.DoesNotContain(_podToken, result.All, StringComparison.Ordinal);
        Assert.DoesNotContain(agent.Issued.SessionToken!, result.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_PodIdentityAgentAnswers403Json_ReportsAccessDeniedWithAgentCodeAndMessage()
    {
        const string message = "Unauthorized to perform AssumeRoleForPodIdentity on cluster my-cluster";
        fakes.PodIdentity.Refusal = (403, "application/json", $$"""{"code":"AccessDeniedException","message":"{{message}}"}""");
        var ecrBefore = fakes.Ecr.Requests.Count;

        var result = await _h.RunCliAsync("run", "--config", Config());

        Assert.Equal(1, result.ExitCode);
        var line = Assert.Single(result.Stdout.Split('\n'), l => l.StartsWith("registry prod-ecr: FAILED", StringComparison.Ordinal));
        Assert.Contains("(access_denied)", line, StringComparison.Ordinal);
        Assert.Contains("HTTP 403 AccessDeniedException: " + message, line, StringComparison.Ordinal);
        Assert.Contains(fakes.PodIdentity.Credentials.ToString(), line, StringComparison.Ordinal);
        Assert.DoesNotContain(": : ", result.All, StringComparison.Ordinal);
        Assert.DoesNotContain(_podToken, result.All, StringComparison.Ordinal);
        Assert.Equal(ecrBefore, fakes.Ecr.Requests.Count);
        Assert.Single(fakes.PodIdentity.Requests, r => r.Authorization == _podToken);   // a refusal is an answer: not retried
    }

    [Fact]
    public async Task Run_PodIdentityAgentAnswers400PlainText_ReportsTokenRejectedWithAgentText()
    {
        // The agent writes its errors with http.Error: plain text, the EKS Auth error code in parentheses.
        const string body = "[7c0e2a4b-1b2c-4d5e-8f90-123456789abc]: (InvalidTokenException): The service account token is not valid, fault: client\n";
        fakes.PodIdentity.Refusal = (400, "text/plain; charset=utf-8", body);

        var result = await _h.RunCliAsync("run", "--config", Config());

        Assert.Equal(1, result.ExitCode);
        var line = Assert.Single(result.Stdout.Split('\n'), l => l.StartsWith("registry prod-ecr: FAILED", StringComparison.Ordinal));
        Assert.Contains("(web_identity_rejected)", line, StringComparison.Ordinal);
        Assert.Contains("HTTP 400: [7c0e2a4b", line, StringComparison.Ordinal);
        Assert.Contains("(InvalidTokenException): The service account token is not valid, fault: client", line, StringComparison.Ordinal);
        Assert.DoesNotContain(": : ", result.All, StringComparison.Ordinal);
        Assert.DoesNotContain(_podToken, result.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_PodIdentityAgentUnavailableTwice_RetriesAndWritesSecret()
    {
        fakes.PodIdentity.Unavailable = 2;
        var before = fakes.PodIdentity.Requests.Count;

        var result = await _h.RunCliAsync("run", "--config", Config());

        Assert.True(result.ExitCode == 0, result.ToString());
        var calls = fakes.PodIdentity.Requests.Skip(before).ToList();
        Assert.Equal(3, calls.Count);
        Assert.NotNull(calls[^1].Issued);
        Assert.Equal(2, _h.Logs.GetSnapshot().Count(r => r.Id.Id == 2007 && r.Message.Contains("HTTP 503", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Run_PodIdentityTokenFileRotated_NextAgentCallSendsTheNewToken()
    {
        // Credentials within 15 minutes of expiry are fetched again, with the token file read again (kubelet rotates it).
        fakes.PodIdentity.Lifetime = TimeSpan.FromMinutes(10);
        try
        {
            var first = await _h.RunCliAsync("run", "--config", Config());
            Assert.True(first.ExitCode == 0, first.ToString());
            var rotated = _podToken + "-rotated";
            File.WriteAllText(Environment.GetEnvironmentVariable("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")!, rotated);
            fakes.PodIdentity.ExpectedAuthorization = rotated;

            var second = await _h.RunCliAsync("run", "--config", Config(), "--force");

            Assert.True(second.ExitCode == 0, second.ToString());
            Assert.Equal(rotated, fakes.PodIdentity.Requests[^1].Authorization);
            Assert.NotNull(fakes.PodIdentity.Requests[^1].Issued);
        }
        finally
        {
            fakes.PodIdentity.Lifetime = TimeSpan.FromHours(1);
        }
    }
}
