using System.Text;
using k8s.Models;
using SecretRotator.Kubernetes;
using SecretRotator.Tests.Fakes.Kubernetes;
using SecretRotator.Tests.TestSupport;

namespace SecretRotator.Tests.Chart;

/// <summary>
/// The daemon (with leader election) against the fake API server, which serves only what the chart's rendered RBAC grants
/// for <c>mode: daemon</c>, leader-election Role included: it must serve namespaces, follow a mirror source, and never be
/// refused.
/// </summary>
public sealed class DaemonRbacEnforcementTests
{
    private static readonly TimeSpan Startup = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Promise = TimeSpan.FromSeconds(5);
    private static string LeaseName => $"{HelmChart.Release}-secret-rotator";

    [Fact]
    public async Task Daemon_RenderedDaemonRbac_ServesNamespacesNothingForbidden()
    {
        var rendered = await HelmChart.TemplateAsync("daemon-values.yaml");
        var grants = RenderedRbac.AllGrants(rendered);
        await using var h = await DaemonHarness.StartAsync(HelmChart.Namespace, "team-a", "kube-system");
        h.Api.AddSecret(new V1Secret
        {
            Metadata = new() { Name = "ghcr-token", NamespaceProperty = HelmChart.Namespace },
            Data = new Dictionary<string, byte[]> { ["token"] = "ghp_daemon"u8.ToArray() },
        });
        h.Api.Allow = r => RenderedRbac.Allows(grants, r);

        var daemon = await ReadyAsync(h, h.WriteFile("config.yaml", rendered.ConfigYaml));
        h.Api.AddNamespace("team-b");
        await DaemonHarness.WaitUntilAsync(() => h.Secret("team-b") is not null, Promise, "a new namespace is served by the watch");

        Assert.NotNull(h.Secret("team-a"));
        Assert.Null(h.Secret("kube-system"));
        Assert.Contains("regcred", h.Api.GetServiceAccount("team-a", "default")!.ImagePullSecrets?.Select(s => s.Name) ?? [], StringComparer.Ordinal);
        Assert.Equal(200, (await daemon.GetAsync("healthz")).Status);
        Assert.Empty(Forbidden(h));
        Assert.Contains(h.Api.Journal, r => r is { Resource: "leases", Verb: "create" or "update", StatusCode: >= 200 and < 300 });
        Assert.Contains(h.Api.Journal, r => r is { Resource: "secrets", Verb: "watch", StatusCode: 200 });
    }

    [Fact]
    public async Task Daemon_RenderedNamespacedDaemonRbac_ServesTheNamedNamespacesNothingForbidden()
    {
        // Arrange: rbac.scope namespaced grants a Role per named namespace and nothing cluster-wide (not even get namespaces).
        var rendered = await HelmChart.TemplateAsync("namespaced-daemon-values.yaml");
        var grants = RenderedRbac.AllGrants(rendered);
        await using var h = await DaemonHarness.StartAsync(HelmChart.Namespace, "team-a", "team-b", "other");
        h.Api.AddSecret(new V1Secret
        {
            Metadata = new() { Name = "ghcr-token", NamespaceProperty = HelmChart.Namespace },
            Data = new Dictionary<string, byte[]> { ["token"] = "ghp_namespaced"u8.ToArray() },
        });
        h.Api.Allow = r => RenderedRbac.Allows(grants, r);
        Assert.Contains("--namespaced", rendered.Of<V1Deployment>().Single().Spec.Template.Spec.Containers[0].Args);

        // Act
        var daemon = h.Start(h.WriteFile("config.yaml", rendered.ConfigYaml), leaderElect: true, leaseNamespace: HelmChart.Namespace, leaseName: LeaseName,
            namespaced: true);
        await DaemonHarness.WaitUntilAsync(() => daemon.Exit.IsCompleted || daemon.Logs.Contains("First full pass done", StringComparison.Ordinal), Startup, "first full pass");
        h.Api.DeleteSecret("team-b", "regcred");
        await DaemonHarness.WaitUntilAsync(() => h.Secret("team-b") is not null, Promise, "the namespace's secret watch restores a deleted secret");

        // Assert
        Assert.False(daemon.Exit.IsCompleted, daemon.Logs);
        Assert.NotNull(h.Secret("team-a"));
        Assert.Null(h.Secret("other"));
        Assert.Contains("regcred", h.Api.GetServiceAccount("team-a", "default")!.ImagePullSecrets?.Select(s => s.Name) ?? [], StringComparer.Ordinal);
        Assert.Equal(200, (await daemon.GetAsync("readyz")).Status);
        Assert.Empty(Forbidden(h));
        Assert.Contains(h.Api.Journal, r => r is { Resource: "secrets", Verb: "watch", Namespace: "team-a", StatusCode: 200 });
        Assert.DoesNotContain(h.Api.Journal, r => r is { Resource: "namespaces" });
    }

    [Fact]
    public async Task Daemon_MirrorSourceChanged_EveryCopyUpdatedWithinFiveSecondsNothingForbidden()
    {
        var rendered = await HelmChart.TemplateAsync("mirror-daemon-values.yaml");
        var grants = RenderedRbac.AllGrants(rendered);
        await using var h = await DaemonHarness.StartAsync(HelmChart.Namespace, "team-a", "team-b");
        h.Api.AddSecret(Source("first-password"));
        h.Api.Allow = r => RenderedRbac.Allows(grants, r);
        var daemon = await ReadyAsync(h, h.WriteFile("config.yaml", rendered.ConfigYaml));
        Assert.Equal("first-password", PasswordIn(h, "team-a"));

        var source = h.Api.GetSecret(HelmChart.Namespace, "corp-pull")!;
        source.Data[ManagedSecret.DataKey] = DockerConfig("second-password");
        h.Api.ReplaceSecret(source);

        // The source's static refresh interval is minutes away: only the watch on the source can make this.
        var took = await DaemonHarness.WaitUntilAsync(() => PasswordIn(h, "team-a") == "second-password" && PasswordIn(h, "team-b") == "second-password",
            Promise, "both copies follow the changed source");
        Assert.Empty(Forbidden(h));
        Assert.Contains(h.Api.Journal, r => r is { Resource: "secrets", Verb: "watch", Namespace: HelmChart.Namespace, Name: "corp-pull", StatusCode: 200 });
        Assert.DoesNotContain("second-password", daemon.Logs, StringComparison.Ordinal);
        TestContext.Current.TestOutputHelper?.WriteLine($"source change reached both copies in {took.TotalMilliseconds:F0} ms");
    }

    [Fact]
    public async Task Daemon_MirrorSourceCreatedLate_CopiesAppearWithinFiveSeconds()
    {
        var rendered = await HelmChart.TemplateAsync("mirror-daemon-values.yaml");
        await using var h = await DaemonHarness.StartAsync(HelmChart.Namespace, "team-a");
        var daemon = await ReadyAsync(h, h.WriteFile("config.yaml", rendered.ConfigYaml));
        Assert.Null(h.Api.GetSecret("team-a", "corp-pull"));

        // The failed start-up fetch retries after 10 s at the earliest: within 5 s only the source's watch can do it.
        h.Api.AddSecret(Source("late-password"));

        await DaemonHarness.WaitUntilAsync(() => PasswordIn(h, "team-a") == "late-password", Promise, "the copy appears once the source exists");
        Assert.False(daemon.Exit.IsCompleted, daemon.Logs);
    }

    private static async Task<RunningDaemon> ReadyAsync(DaemonHarness h, string config)
    {
        var daemon = h.Start(config, leaderElect: true, leaseNamespace: HelmChart.Namespace, leaseName: LeaseName);
        await DaemonHarness.WaitUntilAsync(() => daemon.Exit.IsCompleted || daemon.Logs.Contains("First full pass done", StringComparison.Ordinal), Startup, "first full pass");
        Assert.False(daemon.Exit.IsCompleted, daemon.Logs);
        return daemon;
    }

    private static List<string> Forbidden(DaemonHarness h) =>
        [.. h.Api.Journal.Where(r => r.StatusCode == 403).Select(r => $"{r.Verb} {r.Resource} ns={r.Namespace} name={r.Name}")];

    private static V1Secret Source(string password) => new()
    {
        Metadata = new() { Name = "corp-pull", NamespaceProperty = HelmChart.Namespace },
        Type = ManagedSecret.SecretType,
        Data = new Dictionary<string, byte[]> { [ManagedSecret.DataKey] = DockerConfig(password) },
    };

    private static byte[] DockerConfig(string password) =>
        Encoding.UTF8.GetBytes("""{"auths":{"registry.corp.example":{"username":"builder","password":"PASSWORD"}}}""".Replace("PASSWORD", password, StringComparison.Ordinal));

    private static string? PasswordIn(DaemonHarness h, string ns)
    {
        byte[]? json = null;
        h.Api.GetSecret(ns, "corp-pull")?.Data?.TryGetValue(ManagedSecret.DataKey, out json);
        return DockerConfigJson.TryParse(json)?.GetValueOrDefault("registry.corp.example")?.Password;
    }
}
