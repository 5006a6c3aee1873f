using SecretRotator.Tests.Fakes.Kubernetes;
using SecretRotator.Tests.TestSupport;

namespace SecretRotator.Tests.Rotation;

/// <summary>Which namespaces a target reaches, and what that costs in API requests and permissions.</summary>
public sealed class NamespaceSelectionTests
{
    private static string Config(RotatorHarness h, string namespaces = "names: [default, team-a]", string serviceAccounts = "[]") =>
        RunCommandTests.Config(h, namespaces, serviceAccounts: serviceAccounts);

    [Fact]
    public async Task Run_ListedNamespaceMissing_ReportsItAndDoesTheRest()
    {
        await using var h = await RotatorHarness.StartAsync("default");

        var result = await h.RunCliAsync("run", "--config", Config(h, "names: [default, ghost]"));

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.NotNull(h.Secret("default", "regcred"));
        Assert.Null(h.Api.GetSecret("ghost", "regcred"));
        Assert.Contains("missing namespace: ghost", result.Stdout);
        Assert.Contains("namespace ghost does not exist", result.Logs);
    }

    [Fact]
    public async Task Run_SelectorGlobAndExclude_WritesOnlySelectedNamespaces()
    {
        await using var h = await RotatorHarness.StartAsync();
        h.Api.AddNamespace("team-a", new Dictionary<string, string> { ["pull-secrets"] = "enabled" });
        h.Api.AddNamespace("team-b", new Dictionary<string, string> { ["pull-secrets"] = "enabled" });
        h.Api.AddNamespace("team-skip", new Dictionary<string, string> { ["pull-secrets"] = "enabled" });
        h.Api.AddNamespace("other", new Dictionary<string, string> { ["pull-secrets"] = "enabled" });
        h.Api.AddNamespace("team-c", new Dictionary<string, string> { ["pull-secrets"] = "disabled" });

        var result = await h.RunCliAsync("run", "--config", Config(h, """
            names: ["team-*"]
                  selector: "pull-secrets in (enabled)"
                  exclude: ["*-skip"]
            """));

        Assert.True(result.ExitCode == 0, result.ToString());
        var written = h.Api.ListSecrets().Select(s => s.Metadata.NamespaceProperty).Order().ToList();
        Assert.Equal(["team-a", "team-b"], written);
        var list = Assert.Single(h.Api.Journal, r => r.Verb == "list" && r.Resource == "namespaces");
        Assert.Contains("labelSelector=pull-secrets", list.Query);
        Assert.Equal(1, h.Api.CountRequests("list", "secrets"));
    }

    [Fact]
    public async Task Run_ExplicitNamesWithNamespaceScopedRbac_NeedsNoClusterWideAccess()
    {
        await using var h = await RotatorHarness.StartAsync("default", "team-a");
        h.Api.Deny(RbacDenyRule.Everywhere("list", "namespaces"));
        h.Api.Deny(RbacDenyRule.Everywhere("get", "namespaces"));
        h.Api.Deny(RbacDenyRule.AtClusterScope("list", "secrets"));

        var result = await h.RunCliAsync("run", "--config", Config(h));

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(2, h.Api.ListSecrets().Count);
        Assert.DoesNotContain(h.Api.Journal, r => r.StatusCode == 403);
    }

    [Fact]
    public async Task Run_GlobTargetsInSteadyState_CheckServiceAccountsWithOneListAndNoGets()
    {
        await using var h = await RotatorHarness.StartAsync([.. Enumerable.Range(0, 30).Select(i => $"team-{i}")]);
        var config = Config(h, "names: [\"team-*\"]", serviceAccounts: "[default]");
        await h.RunCliAsync("run", "--config", config);
        h.Api.ClearJournal();

        var result = await h.RunCliAsync("run", "--config", config);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(30, h.Api.ListServiceAccounts().Count(sa => sa.ImagePullSecrets?.Any(r => r.Name == "regcred") == true));
        Assert.Equal(1, h.Api.CountRequests("list", "serviceaccounts"));
        Assert.Equal(0, h.Api.CountRequests("get", "serviceaccounts"));
        Assert.Equal(4, h.Api.Journal.Count); // the /version probe, then namespaces, secrets, service accounts: one LIST each
    }
}
