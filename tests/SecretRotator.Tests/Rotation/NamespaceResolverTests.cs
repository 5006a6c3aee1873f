using k8s;
using SecretRotator.Configuration;
using SecretRotator.Rotation;
using SecretRotator.Tests.Fakes.Kubernetes;

namespace SecretRotator.Tests.Rotation;

/// <summary>Namespace selection to names: explicit names, globs, selector, exclude and --namespace, in ordinal order.</summary>
public sealed class NamespaceResolverTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Resolve_ExplicitNamesUnsortedWithDuplicates_SortedDistinctWithoutExcluded()
    {
        await using var fake = await FakeKubeApiServer.StartAsync(cancellationToken: Ct);
        using var client = fake.CreateClient();
        var selection = new NamespaceSelection(["team-b", "team-a", "team-b", "team-0", "team-skip"], null, ["*-skip"]);

        var names = await new NamespaceResolver(client).ResolveAsync(selection, [], Ct);

        Assert.Equal(["team-0", "team-a", "team-b"], names);
        Assert.Empty(fake.Journal); // explicit names need no LIST
    }

    [Fact]
    public async Task Resolve_GlobSelectorExcludeAndOnly_ListedNamesFilteredInOrder()
    {
        await using var fake = await FakeKubeApiServer.StartAsync(cancellationToken: Ct);
        foreach (var ns in new[] { "team-c", "team-a", "team-a-x", "team-skip", "other", "team-b" })
            fake.AddNamespace(ns, new Dictionary<string, string> { ["pull-secrets"] = "enabled" });
        fake.AddNamespace("team-d");
        using var client = fake.CreateClient();
        var selection = new NamespaceSelection(["team-?", "team-*-x"], "pull-secrets=enabled", ["*-skip"]);

        var all = await new NamespaceResolver(client).ResolveAsync(selection, [], Ct);
        var only = await new NamespaceResolver(client).ResolveAsync(selection, ["team-c", "team-a", "team-d"], Ct);

        Assert.Equal(["team-a", "team-a-x", "team-b", "team-c"], all);
        Assert.Equal(["team-a", "team-c"], only);
    }

    [Fact]
    public async Task Resolve_ClientWithoutNamesOnlyList_SameNamesThroughTheTypedList()
    {
        await using var fake = await FakeKubeApiServer.StartAsync(cancellationToken: Ct);
        foreach (var ns in new[] { "team-b", "team-a", "kube-system" }) fake.AddNamespace(ns);
        using var lean = fake.CreateClient();
        using var typed = new k8s.Kubernetes(new KubernetesClientConfiguration { Host = fake.Url.ToString() });
        var selection = new NamespaceSelection(["team-*"], null, []);

        var fromLean = await new NamespaceResolver(lean).ResolveAsync(selection, [], Ct);
        var fromTyped = await new NamespaceResolver(typed).ResolveAsync(selection, [], Ct);

        Assert.Equal(["team-a", "team-b"], fromLean);
        Assert.Equal(fromLean, fromTyped);
    }
}
