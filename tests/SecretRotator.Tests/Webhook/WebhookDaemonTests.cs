using SecretRotator.Cli;
using SecretRotator.Tests.Fakes.Telemetry;
using SecretRotator.Tests.TestSupport;
using SecretRotator.Webhook;
using static SecretRotator.Tests.Webhook.AdmissionTestReviews;

namespace SecretRotator.Tests.Webhook;

/// <summary>The webhook inside the daemon (in-process, real Kestrel TLS, real KubernetesClient against the fake API server).</summary>
public sealed class WebhookDaemonTests : IDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly TimeSpan Startup = TimeSpan.FromSeconds(20);

    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("secret-rotator-webhook-");
    private readonly WebhookTls _tls;

    public WebhookDaemonTests() => _tls = new WebhookTls(_dir.FullName);

    private string[] WebhookArgs => ["--webhook-port", "0", "--tls-cert-file", _tls.CertFile, "--tls-private-key-file", _tls.KeyFile];

    private static string ReviewFor(string ns) => Pod(ns, ["registry.example.com/team/app:1.0"], uid: $"uid-{ns}");

    private async Task<(RunningDaemon Daemon, Uri Webhook)> StartAsync(DaemonHarness h)
    {
        var daemon = h.Start(h.WriteConfig(), extraArgs: WebhookArgs);
        await DaemonHarness.WaitUntilAsync(() => daemon.Exit.IsCompleted || daemon.Logs.Contains("First full pass done", StringComparison.Ordinal), Startup, "first full pass");
        Assert.False(daemon.Exit.IsCompleted, daemon.Logs);
        return (daemon, WebhookClient.Address(daemon.Logs) ?? throw new Xunit.Sdk.XunitException($"no https address logged: {daemon.Logs}"));
    }

    [Fact]
    public async Task Webhook_PodInANamespaceJustCreated_SecretExistsWhenTheAnswerArrives()
    {
        await using var h = await DaemonHarness.StartAsync("team-a");
        var (daemon, webhook) = await StartAsync(h);
        using var http = _tls.Client();

        h.Api.AddNamespace("team-new");
        var answer = await WebhookClient.PostAsync(http, webhook, WebhookServiceCollectionExtensions.PodsPath, ReviewFor("team-new"), Ct);
        var secret = h.Secret("team-new");

        Assert.Equal(200, answer.Status);
        Assert.Equal("uid-team-new", answer.Uid);
        Assert.True(answer.Allowed);
        Assert.Equal("JSONPatch", answer.PatchType);
        Assert.Equal("""[{"op":"add","path":"/spec/imagePullSecrets","value":[{"name":"regcred"}]}]""", answer.Patch);
        Assert.NotNull(secret);
        Assert.DoesNotContain(DaemonHarness.Password, daemon.Logs, StringComparison.Ordinal);
        var metrics = (await daemon.GetAsync("metrics")).Body;
        Assert.Contains("secret_rotator_admission_duration_seconds_count{outcome=", metrics, StringComparison.Ordinal);
        // Time to secret: whichever created it (this admission or the namespace's watch event), observed once.
        Assert.Equal(1, Exposition.Single(Exposition.Parse(metrics), "secret_rotator_namespace_ready_seconds_count", ("secret", "regcred")).Value);
    }

    [Fact]
    public async Task Webhook_SecretAlreadyThere_AnsweredFromTheCacheWithoutAnApiCall()
    {
        await using var h = await DaemonHarness.StartAsync("team-a");
        var (_, webhook) = await StartAsync(h);
        using var http = _tls.Client();
        await DaemonHarness.WaitUntilAsync(() => h.Secret("team-a") is not null, Startup, "first pass wrote team-a");
        // Warm the connection and the cache, then count what one more admission asks of the API server.
        await WebhookClient.PostAsync(http, webhook, WebhookServiceCollectionExtensions.PodsPath, ReviewFor("team-a"), Ct);
        h.Api.ClearJournal();

        var answer = await WebhookClient.PostAsync(http, webhook, WebhookServiceCollectionExtensions.PodsPath, ReviewFor("team-a"), Ct);

        Assert.Contains("regcred", answer.Patch, StringComparison.Ordinal);
        Assert.DoesNotContain(h.Api.Journal, r => r.Verb is "get" or "list" or "create");
    }

    [Fact]
    public async Task Webhook_ReviewOnThePlainHttpPort_NotServed()
    {
        await using var h = await DaemonHarness.StartAsync("team-a");
        var (daemon, _) = await StartAsync(h);
        using var http = new HttpClient();

        var answer = await WebhookClient.PostAsync(http, await daemon.AddressAsync(), WebhookServiceCollectionExtensions.PodsPath, ReviewFor("team-a"), Ct);

        Assert.Equal(404, answer.Status);
    }

    [Fact]
    public async Task Webhook_MalformedBody_200AllowedUnchanged()
    {
        await using var h = await DaemonHarness.StartAsync("team-a");
        var (_, webhook) = await StartAsync(h);
        using var http = _tls.Client();

        var answer = await WebhookClient.PostAsync(http, webhook, WebhookServiceCollectionExtensions.ServiceAccountsPath, "{\"request\": 42", Ct);

        Assert.Equal(200, answer.Status);
        Assert.True(answer.Allowed);
        Assert.Null(answer.PatchType);
    }

    [Fact]
    public async Task Daemon_WebhookPortWithoutTlsFiles_UsageError()
    {
        await using var h = await DaemonHarness.StartAsync("team-a");
        var daemon = h.Start(h.WriteConfig(), extraArgs: ["--webhook-port", "0"]);

        var exit = await daemon.Exit.WaitAsync(Startup, Ct);

        Assert.Equal(CliApp.ExitUsage, exit);
        Assert.Contains("--tls-cert-file", daemon.Logs, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        _tls.Dispose();
        _dir.Delete(recursive: true);
    }
}
