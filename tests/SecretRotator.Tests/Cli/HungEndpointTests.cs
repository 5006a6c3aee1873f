using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using SecretRotator.Configuration;
using SecretRotator.Registries;
using SecretRotator.Registries.Acr;
using SecretRotator.Registries.Ecr;
using SecretRotator.Tests.Ecr;
using SecretRotator.Tests.Fakes.Azure;
using SecretRotator.Tests.Fakes.Ecr;
using SecretRotator.Tests.TestSupport;

namespace SecretRotator.Tests.Cli;

/// <summary>
/// render and run against a cloud endpoint that takes the connection and never answers: both end at settings.timeout
/// (2s here, on the harness's fake clock, moved while the request hangs), exit 1, and name the endpoint that hung.
/// In the AWS collection: IRSA and Pod Identity are read from the process environment.
/// </summary>
[Collection(AwsProcessEnvironmentGroup.Name)]
public sealed class HungEndpointTests(AwsFakesFixture fakes)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    private const string EcrConfig = """
        registries:
          - name: ecr-prod
            type: ecr
            region: us-east-1
            accounts: ["111122223333"]
        secrets:
          - name: regcred
            registries: [ecr-prod]
            namespaces: {names: [default]}
        settings:
          timeout: 2s
        """;

    /// <summary>Runs the CLI until <paramref name="hung"/> says a request is stuck, then moves the clock to the deadline.</summary>
    private static async Task<CliResult> UntilDeadlineAsync(RotatorHarness h, Task hung, params string[] args)
    {
        var running = h.RunCliAsync(args);
        await Task.WhenAny(hung, running).WaitAsync(Wait, Ct);
        if (running.IsCompleted) Assert.Fail($"ended before any request hung:\n{await running}");
        h.Time.Advance(Timeout);
        return await running.WaitAsync(Wait, Ct);
    }

    private Dictionary<string, string> Irsa(RotatorHarness h, string projectedToken)
    {
        fakes.Sts.Clear();
        fakes.Sts.ExpectedWebIdentityToken = projectedToken;
        return new Dictionary<string, string>
        {
            ["AWS_REGION"] = "us-east-1",
            ["AWS_ROLE_ARN"] = "arn:aws:iam::111122223333:role/rotator-irsa",
            ["AWS_WEB_IDENTITY_TOKEN_FILE"] = h.WriteFile("token", projectedToken),
            ["AWS_ENDPOINT_URL_STS"] = fakes.Sts.Address.ToString(),
            ["AWS_ENDPOINT_URL_ECR"] = fakes.Ecr.Address.ToString(),
        };
    }

    [Fact]
    public async Task Render_StsNeverAnswers_Exits1AtSettingsTimeoutNamingSts()
    {
        await using var h = await RotatorHarness.StartAsync("default");
        var token = "projected-" + Guid.NewGuid().ToString("N");
        using var env = new AwsEnvironmentScope(Irsa(h, token));
        fakes.Sts.Hold.Enable();
        try
        {
            var result = await UntilDeadlineAsync(h, fakes.Sts.Hold.Held, "render", "--config", h.WriteConfig(EcrConfig));

            Assert.True(result.ExitCode == 1, result.ToString());
            Assert.Equal($"error: registry ecr-prod: no answer from {fakes.Sts.Address} within 2s (settings.timeout)", result.Stderr.Trim());
            Assert.Equal("", result.Stdout);
            Assert.DoesNotContain(token, result.All, StringComparison.Ordinal);
        }
        finally
        {
            fakes.Sts.Hold.Release();
        }
    }

    [Fact]
    public async Task Render_PodIdentityAgentNeverAnswers_Exits1AtSettingsTimeoutNamingTheAgent()
    {
        await using var h = await RotatorHarness.StartAsync("default");
        await using var agent = new SilentEndpoint();
        var authorization = "pod-identity-token-" + Guid.NewGuid().ToString("N");
        using var env = new AwsEnvironmentScope(new Dictionary<string, string>
        {
            ["AWS_REGION"] = "us-east-1",
            ["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = $"{agent.Http}/v1/credentials?source=test",
            ["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = authorization,
            ["AWS_ENDPOINT_URL_ECR"] = fakes.Ecr.Address.ToString(),
        });

        var result = await UntilDeadlineAsync(h, agent.Connected, "render", "--config", h.WriteConfig(EcrConfig));

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Equal($"error: registry ecr-prod: no answer from {agent.Http}/v1/credentials within 2s (settings.timeout)", result.Stderr.Trim());
        Assert.Equal("", result.Stdout);
        Assert.DoesNotContain(authorization, result.All, StringComparison.Ordinal);
        Assert.DoesNotContain("source=test", result.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Render_EntraNeverAnswers_Exits1AtSettingsTimeoutNamingTheTokenEndpoint()
    {
        await using var h = await RotatorHarness.StartAsync("default");
        await using var entra = new SilentEndpoint();
        var federatedToken = "federated-" + Guid.NewGuid().ToString("N");
        var azure = new TestEnvironment();
        azure["AZURE_CLIENT_ID"] = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";
        azure["AZURE_TENANT_ID"] = "11111111-2222-3333-4444-555555555555";
        azure["AZURE_FEDERATED_TOKEN_FILE"] = h.WriteFile("azure-identity-token", federatedToken);
        azure["AZURE_AUTHORITY_HOST"] = entra.Https + "/";
        h.Configure = services =>
        {
            services.AddSingleton<IEnvironmentVariables>(azure);
            services.AddSingleton(new AzureCredentialFactory(azure));
        };
        var config = h.WriteConfig("""
            registries:
              - name: acr
                type: acr
                server: myregistry.azurecr.io
                auth: workload
            secrets:
              - name: regcred
                registries: [acr]
                namespaces: {names: [default]}
            settings:
              timeout: 2s
            """);

        var result = await UntilDeadlineAsync(h, entra.Connected, "render", "--config", config);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.StartsWith($"error: registry acr: no answer from {entra.Https}/11111111-2222-3333-4444-555555555555/", result.Stderr, StringComparison.Ordinal);
        Assert.EndsWith(" within 2s (settings.timeout)", result.Stderr.Trim(), StringComparison.Ordinal);
        Assert.Single(result.Stderr.Trim().Split('\n'));
        Assert.Equal("", result.Stdout);
        Assert.DoesNotContain(federatedToken, result.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_StsNeverAnswers_ReportsRegistryTimeoutNamingStsAndWritesNothing()
    {
        await using var h = await RotatorHarness.StartAsync("default");
        var token = "projected-" + Guid.NewGuid().ToString("N");
        using var env = new AwsEnvironmentScope(Irsa(h, token));
        fakes.Sts.Hold.Enable();
        try
        {
            var result = await UntilDeadlineAsync(h, fakes.Sts.Hold.Held, "run", "--config", h.WriteConfig(EcrConfig));

            Assert.True(result.ExitCode == 1, result.ToString());
            Assert.Contains($"registry ecr-prod: FAILED (timeout): no answer from {fakes.Sts.Address} within 2s (settings.timeout)", result.Stdout, StringComparison.Ordinal);
            Assert.Contains("FAILED default/regcred: not_done: not done: run timeout 2s reached", result.Stdout, StringComparison.Ordinal);
            Assert.Null(h.Api.GetSecret("default", "regcred"));
            Assert.DoesNotContain(token, result.All, StringComparison.Ordinal);
        }
        finally
        {
            fakes.Sts.Hold.Release();
        }
    }

    [Fact]
    public async Task Run_EcrApiNeverAnswers_ReportsRegistryTimeoutNamingTheApiEndpoint()
    {
        await using var h = await RotatorHarness.StartAsync("default");
        await using var api = new SilentEndpoint();
        h.Configure = services =>
        {
            services.AddSingleton<IAwsBaseCredentials>(FixedAwsCredentials.From(AwsTestKeys.Base));
            services.AddSingleton(new EcrHttpOptions { RetryDelay = TimeSpan.Zero });
        };
        var config = h.WriteConfig(EcrConfig.Replace("accounts: [\"111122223333\"]", $"accounts: [\"111122223333\"]\n    endpoint: {api.Http}/", StringComparison.Ordinal));

        var result = await UntilDeadlineAsync(h, api.Connected, "run", "--config", config);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains($"registry ecr-prod: FAILED (timeout): no answer from {api.Http}/ within 2s (settings.timeout)", result.Stdout, StringComparison.Ordinal);
        Assert.Null(h.Api.GetSecret("default", "regcred"));
        Assert.DoesNotContain(AwsTestKeys.Base.SecretAccessKey, result.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_EcrApiRetriedAfter503ThenHangs_StillNamesTheApiEndpoint()
    {
        await using var h = await RotatorHarness.StartAsync("default");
        var hold = new RequestHold();
        hold.Enable();
        var requests = 0;
        await using var api = await LoopbackHost.StartAsync(async context =>
        {
            if (Interlocked.Increment(ref requests) > 1 && await hold.HoldAsync(context)) return;
            context.Response.StatusCode = 503;
            context.Response.ContentType = "application/x-amz-json-1.1";
            await context.Response.WriteAsync("""{"__type":"ServiceUnavailableException","message":"try again"}""", context.RequestAborted);
        }, cancellationToken: Ct);
        h.Configure = services =>
        {
            services.AddSingleton<IAwsBaseCredentials>(FixedAwsCredentials.From(AwsTestKeys.Base));
            services.AddSingleton(new EcrHttpOptions { RetryDelay = TimeSpan.Zero });
        };
        var config = h.WriteConfig(EcrConfig.Replace("accounts: [\"111122223333\"]", $"accounts: [\"111122223333\"]\n    endpoint: {api.BaseAddress}", StringComparison.Ordinal));
        try
        {
            var result = await UntilDeadlineAsync(h, hold.Held, "run", "--config", config);

            Assert.True(result.ExitCode == 1, result.ToString());
            Assert.Equal(2, requests);
            Assert.Contains($"registry ecr-prod: FAILED (timeout): no answer from {api.BaseAddress} within 2s (settings.timeout)", result.Stdout, StringComparison.Ordinal);
        }
        finally
        {
            hold.Release();
        }
    }

    [Fact]
    public async Task Render_InterruptedWhileAFetchHangs_Exits1WithOneLineAndPrintsNothing()
    {
        await using var h = await RotatorHarness.StartAsync("default");
        await using var agent = new SilentEndpoint();
        using var env = new AwsEnvironmentScope(new Dictionary<string, string>
        {
            ["AWS_REGION"] = "us-east-1",
            ["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = $"{agent.Http}/v1/credentials",
            ["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = "pod-identity-token",
        });
        using var sigterm = new CancellationTokenSource();

        var running = h.RunCliUntilAsync(sigterm.Token, "render", "--config", h.WriteConfig(EcrConfig.Replace("2s", "5m", StringComparison.Ordinal)));
        await Task.WhenAny(agent.Connected, running).WaitAsync(Wait, Ct);
        await sigterm.CancelAsync();
        var result = await running.WaitAsync(Wait, Ct);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Equal("error: interrupted; nothing rendered", result.Stderr.Trim());
        Assert.Equal("", result.Stdout);
    }
}
