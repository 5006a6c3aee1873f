using System.Text.RegularExpressions;
using SecretRotator.Tests.TestSupport;

namespace SecretRotator.Tests.Published;

/// <summary>
/// scripts/aot-warnings.txt is what scripts/publish.sh lets through; docs/aot-warnings.md must account for each entry,
/// so a warning added to the list without a word about its path (and the test that proves it) fails here.
/// </summary>
public sealed partial class AotWarningsDocTests
{
    private static string[] Entries() =>
        [.. File.ReadAllLines(Path.Combine(TestData.RepoRoot, "scripts", "aot-warnings.txt")).Where(l => l.Length > 0 && !l.StartsWith('#'))];

    [Fact]
    public void Baseline_EveryEntry_IsACodeAMethodAndAMember()
    {
        // Act
        var malformed = Entries().Where(e => !Entry().IsMatch(e)).ToList();

        // Assert
        Assert.NotEmpty(Entries());
        Assert.Empty(malformed);
    }

    [Fact]
    public void Docs_EveryBaselineWarning_IsNamedWithItsTypeAndMethod()
    {
        // Arrange
        var docs = File.ReadAllText(Path.Combine(TestData.RepoRoot, "docs", "aot-warnings.md"));

        // Act: "IL2026: k8s.KubernetesJson..cctor(): Using member ..." is named as "KubernetesJson..cctor"; a
        // compiler-generated lambda as the type that holds it.
        var missing = Entries().Select(TypeAndMethod).Where(name => !docs.Contains(name, StringComparison.Ordinal)).Distinct().ToList();

        // Assert
        Assert.True(missing.Count == 0, "docs/aot-warnings.md does not name: " + string.Join(", ", missing));
    }

    private static string TypeAndMethod(string entry)
    {
        var method = Entry().Match(entry).Groups["method"].Value;
        var generated = method.IndexOf(".<", StringComparison.Ordinal);
        if (generated >= 0) method = method[..generated];
        return LastTwo().Match(method).Value;
    }

    [GeneratedRegex(@"^IL\d{4}: (?<method>[^(]+)\(.*'[^']+'")]
    private static partial Regex Entry();

    [GeneratedRegex(@"[^.]+\.\.?[^.]+$")]
    private static partial Regex LastTwo();
}
