using SecretRotator.Tests.Fakes.Kubernetes;
using SecretRotator.Tests.TestSupport;
using SecretRotator.Webhook;
using static SecretRotator.Tests.Webhook.AdmissionTestReviews;

namespace SecretRotator.Tests.Webhook;

/// <summary>
/// The shipped binary (SECRET_ROTATOR_BINARY, else the built dll) as its own process, serving the webhook over TLS
/// against the fake API server: a namespace is created and, at once, a pod in it is posted for admission, as the API
/// server does when `kubectl apply -f app/` creates both. The answer must carry the patch, and the secret must exist in
/// the API server when the answer arrives; 200 times, in parallel bursts.
/// </summary>
public sealed class WebhookEndToEndTests : IAsyncDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private const int Pods = 200;
    // A burst's creates, account patches and namespace reads stay within the default client-side rate limit's burst
    // (settings.burst 100): the test is about order (secret before answer), not about queueing behind the limiter.
    private const int Burst = 20;

    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("secret-rotator-webhook-e2e-");
    private FakeKubeApiServer _api = null!;

    private string WriteFile(string name, string content)
    {
        var path = Path.Combine(_dir.FullName, name);
        File.WriteAllText(path, content);
        return path;
    }

    [Fact]
    public async Task Webhook_NamespaceAndPodTogether_200InBursts_NoPodAdmittedWithoutItsSecret()
    {
        // Arrange
        _api = await FakeKubeApiServer.StartAsync(cancellationToken: Ct);
        _api.AddNamespace("team-seed");
        using var tls = new WebhookTls(_dir.FullName);
        WriteFile("password.txt", "e2e-webhook-password");
        var config = WriteFile("config.yaml", """
            registries:
              - {name: hub, type: static, server: registry.example.com, username: robot, password: {file: password.txt}}
            secrets:
              - name: regcred
                registries: [hub]
                namespaces: {names: ["team-*"]}
                serviceAccounts: [default]
            """);
        var kubeconfig = WriteFile("kubeconfig", $$$"""
            apiVersion: v1
            kind: Config
            clusters: [{name: fake, cluster: {server: "{{{_api.Url.ToString().TrimEnd('/')}}}"}}]
            users: [{name: fake, user: {token: e2e-token}}]
            contexts: [{name: fake, context: {cluster: fake, user: fake}}]
            current-context: fake
            """);
        await using var daemon = RotatorProcess.Start(new Dictionary<string, string?>(),
            "daemon", "--config", config, "--kubeconfig", kubeconfig, "--port", "0", "--leader-elect", "false",
            "--webhook-port", "0", "--tls-cert-file", tls.CertFile, "--tls-private-key-file", tls.KeyFile);
        var stderr = await daemon.WaitForStderrAsync(s => s.Contains("First full pass done", StringComparison.Ordinal), Deadline, "the daemon is ready");
        var webhook = WebhookClient.Address(stderr) ?? throw new Xunit.Sdk.XunitException($"no https address logged\n{daemon}");
        using var http = tls.Client();

        // Act: each burst creates its namespaces and posts their pods at the same moment.
        var results = new List<(string Namespace, WebhookClient.Answer Answer, bool SecretThere)>();
        for (var start = 0; start < Pods; start += Burst)
        {
            var burst = await Task.WhenAll(Enumerable.Range(start, Burst).Select(i => Task.Run(async () =>
            {
                var ns = $"team-e2e-{i:D3}";
                _api.AddNamespace(ns);
                var answer = await WebhookClient.PostAsync(http, webhook, WebhookServiceCollectionExtensions.PodsPath,
                    Pod(ns, [PrivateImage], uid: $"uid-{i}"), Ct);
                return (ns, answer, _api.GetSecret(ns, "regcred") is not null);
            }, Ct)));
            results.AddRange(burst);
        }

        // Assert
        var warnings = string.Join("\n", daemon.Stderr.Split('\n').Where(l => l.Contains("allowed unchanged", StringComparison.Ordinal) || l.Contains("fail", StringComparison.OrdinalIgnoreCase)).Take(20));
        Assert.All(results, r => Assert.Equal(200, r.Answer.Status));
        Assert.All(results, r => Assert.Equal($"uid-{r.Namespace["team-e2e-".Length..].TrimStart('0').PadLeft(1, '0')}", r.Answer.Uid));
        var unpatched = results.Where(r => r.Answer.PatchType != "JSONPatch" || !r.Answer.Patch.Contains("\"regcred\"", StringComparison.Ordinal)).Select(r => r.Namespace).ToList();
        Assert.True(unpatched.Count == 0, $"{unpatched.Count} pods admitted without the patch: {string.Join(", ", unpatched)}\n{warnings}");
        var admittedWithoutSecret = results.Where(r => !r.SecretThere).Select(r => r.Namespace).ToList();
        Assert.True(admittedWithoutSecret.Count == 0, $"admitted before their secret existed: {string.Join(", ", admittedWithoutSecret)}\n{warnings}");
        Assert.DoesNotContain("e2e-webhook-password", daemon.Stderr, StringComparison.Ordinal);
        await daemon.TerminateAsync();
        Assert.Equal(0, await daemon.WaitForExitAsync(Deadline));
    }

    public async ValueTask DisposeAsync()
    {
        if (_api is not null) await _api.DisposeAsync();
        _dir.Delete(recursive: true);
    }
}
