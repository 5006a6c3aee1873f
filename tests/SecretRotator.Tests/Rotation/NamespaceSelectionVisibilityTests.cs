using SecretRotator.Tests.TestSupport;

namespace SecretRotator.Tests.Rotation;

/// <summary>names and selector are ANDed; a namespace the user named but the selector drops is never skipped silently.</summary>
public sealed class NamespaceSelectionVisibilityTests
{
    [Fact]
    public async Task Run_NamedNamespaceWithoutTheLabel_IsSkippedWithAWarningNamingIt()
    {
        // Arrange: team-a has the label, team-b is named but lacks it, team-c matches the glob but lacks it.
        await using var h = await RotatorHarness.StartAsync();
        h.Api.AddNamespace("team-a", new Dictionary<string, string> { ["pull-secrets"] = "enabled" });
        h.Api.AddNamespace("team-b");
        h.Api.AddNamespace("team-c");
        var config = RunCommandTests.Config(h, "names: [team-a, team-b, \"team-c*\"]\n      selector: pull-secrets=enabled");

        // Act
        var result = await h.RunCliAsync("run", "--config", config);

        // Assert: only team-a written; the warning names team-b (named exactly), not team-c (a glob match).
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.NotNull(h.Secret("team-a", "regcred"));
        Assert.Null(h.Api.GetSecret("team-b", "regcred"));
        Assert.Contains("namespace team-b is named in the config, but the selector 'pull-secrets=enabled' does not select it", result.Logs, StringComparison.Ordinal);
        Assert.DoesNotContain("namespace team-c", result.Logs, StringComparison.Ordinal);
        Assert.DoesNotContain("namespace team-a is named", result.Logs, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_SeveralMissingNamespaces_SummaryNamesThem()
    {
        await using var h = await RotatorHarness.StartAsync("default");

        var result = await h.RunCliAsync("run", "--config", RunCommandTests.Config(h, "names: [default, ghost, gone]"));

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("secret regcred: 1 created, 0 updated, 0 unchanged, 0 failed, 0 foreign, missing namespaces: ghost, gone\n", result.Stdout, StringComparison.Ordinal);
    }
}
