using Microsoft.Extensions.DependencyInjection;
using SecretRotator.Configuration;
using SecretRotator.Registries;
using SecretRotator.Tests.Fakes.Azure;
using SecretRotator.Tests.Fakes.Kubernetes;
using SecretRotator.Tests.TestSupport;

namespace SecretRotator.Tests.Cli;

/// <summary>
/// The other outbound calls a fetch makes, each hanging until settings.timeout (2s on the fake clock): Google's
/// metadata server, a settings.verify login, a {secret:} source read from the API server; and render's namespace
/// LIST. Each ends exit 1 with one line naming the URL that did not answer.
/// </summary>
public sealed class HungClusterAndRegistryTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    /// <summary>Runs the CLI until <paramref name="hung"/> says a request is stuck, then moves the clock to the 2s deadline.</summary>
    private static async Task<CliResult> UntilDeadlineAsync(RotatorHarness h, Task hung, params string[] args)
    {
        var running = h.RunCliAsync(args);
        await Task.WhenAny(hung, running).WaitAsync(Wait, Ct);
        if (running.IsCompleted) Assert.Fail($"ended before any request hung:\n{await running}");
        h.Time.Advance(TimeSpan.FromSeconds(2));
        return await running.WaitAsync(Wait, Ct);
    }

    /// <summary>Holds the first request <paramref name="matches"/> selects until the client gives up; <paramref name="hung"/> says it arrived.</summary>
    private static void HangFirst(FakeKubeApiServer api, Func<KubeRequestInfo, bool> matches, TaskCompletionSource hung) =>
        api.FaultHook = request =>
        {
            if (!matches(request) || !hung.TrySetResult()) return null;
            return KubeFault.Slow(TimeSpan.FromHours(1)); // ends when the client aborts the request
        };

    [Fact]
    public async Task Render_GoogleMetadataServerNeverAnswers_Exits1NamingTheTokenUrl()
    {
        await using var h = await RotatorHarness.StartAsync("default");
        await using var metadata = new SilentEndpoint();
        h.Configure = services => services.AddSingleton<IEnvironmentVariables>(new TestEnvironment());
        var tokenPath = "/computeMetadata/v1/instance/service-accounts/default/token";
        var config = h.WriteConfig($$"""
            registries:
              - name: gar
                type: gcr
                servers: [us-docker.pkg.dev]
                endpoint: {{metadata.Http}}{{tokenPath}}
            secrets:
              - name: regcred
                registries: [gar]
                namespaces: {names: [default]}
            settings:
              timeout: 2s
            """);

        var result = await UntilDeadlineAsync(h, metadata.Connected, "render", "--config", config);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Equal($"error: registry gar: no answer from {metadata.Http}{tokenPath} within 2s (settings.timeout)", result.Stderr.Trim());
        Assert.Equal("", result.Stdout);
    }

    [Fact]
    public async Task Run_VerifiedRegistryNeverAnswers_ReportsTimeoutNamingItsV2Url()
    {
        await using var h = await RotatorHarness.StartAsync("default");
        await using var registry = new SilentEndpoint();
        h.WriteFile("password.txt", "verify-password-42");
        var config = h.WriteConfig($$$"""
            registries:
              - {name: local, type: static, server: "127.0.0.1:{{{registry.Port}}}", username: bot, password: {file: password.txt}}
            secrets:
              - name: regcred
                registries: [local]
                namespaces: {names: [default]}
            settings:
              verify: true
              timeout: 2s
            """);

        var result = await UntilDeadlineAsync(h, registry.Connected, "run", "--config", config);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains($"registry local: FAILED (timeout): no answer from {registry.Https}/v2/ within 2s (settings.timeout)", result.Stdout, StringComparison.Ordinal);
        Assert.Null(h.Api.GetSecret("default", "regcred"));
        Assert.DoesNotContain("verify-password-42", result.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_SecretSourceReadNeverAnswered_ReportsTimeoutNamingTheSecretsUrl()
    {
        await using var h = await RotatorHarness.StartAsync("default", "secret-rotator");
        var hung = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        HangFirst(h.Api, r => r is { Verb: "get", Resource: "secrets", Name: "registry-tokens" }, hung);
        var config = h.WriteConfig("""
            registries:
              - {name: ghcr, type: static, server: ghcr.io, username: bot, password: {secret: {namespace: secret-rotator, name: registry-tokens, key: ghcr}}}
            secrets:
              - name: regcred
                registries: [ghcr]
                namespaces: {names: [default]}
            settings:
              timeout: 2s
            """);

        var result = await UntilDeadlineAsync(h, hung.Task, "run", "--config", config);

        Assert.True(result.ExitCode == 1, result.ToString());
        var url = new Uri(h.Api.Url, "api/v1/namespaces/secret-rotator/secrets/registry-tokens");
        Assert.Contains($"registry ghcr: FAILED (timeout): no answer from {url} within 2s (settings.timeout)", result.Stdout, StringComparison.Ordinal);
        Assert.Null(h.Api.GetSecret("default", "regcred"));
    }

    [Fact]
    public async Task Render_NamespaceListNeverAnswered_Exits1NamingTheNamespacesUrl()
    {
        await using var h = await RotatorHarness.StartAsync("default");
        var hung = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        HangFirst(h.Api, r => r is { Verb: "list", Resource: "namespaces" }, hung);
        h.WriteFile("p.txt", "pw");
        var config = h.WriteConfig("""
            registries:
              - {name: r, type: static, server: ghcr.io, username: u, password: {file: p.txt}}
            secrets:
              - {name: regcred, registries: [r], namespaces: {selector: "pull-secrets=enabled"}}
            settings:
              timeout: 2s
            """);

        var result = await UntilDeadlineAsync(h, hung.Task, "render", "--config", config);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Equal($"error: secret regcred: resolving its namespaces: no answer from {new Uri(h.Api.Url, "api/v1/namespaces")} within 2s (settings.timeout)", result.Stderr.Trim());
        Assert.Equal("", result.Stdout);
    }
}
