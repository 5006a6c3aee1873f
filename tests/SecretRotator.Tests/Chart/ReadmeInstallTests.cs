using System.Text.RegularExpressions;
using k8s.Models;
using SecretRotator.Cli;
using SecretRotator.Tests.TestSupport;

namespace SecretRotator.Tests.Chart;

/// <summary>README's "Install" examples stay true: each values file renders a CronJob whose config passes validate.</summary>
public sealed partial class ReadmeInstallTests
{
    public static TheoryData<int> Examples => [.. Enumerable.Range(0, ValuesBlocks().Count)];

    [Fact]
    public void Readme_Install_HasOneExamplePerCloudAndStaticTokens()
    {
        var blocks = ValuesBlocks();

        Assert.Equal(5, blocks.Count);
        Assert.Contains(blocks, b => b.Contains("type: static", StringComparison.Ordinal));
        Assert.Contains(blocks, b => b.Contains("eks.amazonaws.com/role-arn", StringComparison.Ordinal));
        Assert.Contains(blocks, b => b.Contains("type: ecr", StringComparison.Ordinal) && !b.Contains("annotations", StringComparison.Ordinal));
        Assert.Contains(blocks, b => b.Contains("azure.workload.identity/use", StringComparison.Ordinal));
        Assert.Contains(blocks, b => b.Contains("iam.gke.io/gcp-service-account", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public async Task Readme_InstallExample_RendersACronJobWithAValidConfig(int example)
    {
        var values = ValuesBlocks()[example].Replace("$CLIENT_ID", "00000000-0000-0000-0000-000000000000", StringComparison.Ordinal);

        var result = await HelmChart.TemplateWithValuesAsync(values);

        Assert.True(result.ExitCode == 0, result.ToString());
        var rendered = Rendered.Parse(result.Stdout);
        Assert.Single(rendered.Of<V1CronJob>());
        using var pod = PodView.Of(rendered);
        var stderr = new StringWriter();
        var code = await new CliApp(new StringWriter(), stderr).RunAsync(["validate", "--config", pod.WriteConfig(rendered.ConfigYaml)], TestContext.Current.CancellationToken);
        Assert.True(code == CliApp.ExitOk, stderr.ToString());
    }

    /// <summary>The bodies of README's <c>cat &gt; values.yaml &lt;&lt;YAML</c> heredocs, unindented.</summary>
    internal static List<string> ValuesBlocks() =>
        [.. Heredoc().Matches(File.ReadAllText(Path.Combine(TestData.RepoRoot, "README.md")))
            .Select(m => string.Join('\n', m.Groups[1].Value.Split('\n').Select(l => l.Length >= 4 ? l[4..] : l.TrimStart())))];

    [GeneratedRegex(@"cat > values\.yaml <<'?YAML'?\n(.*?)\n    YAML", RegexOptions.Singleline)]
    private static partial Regex Heredoc();
}
