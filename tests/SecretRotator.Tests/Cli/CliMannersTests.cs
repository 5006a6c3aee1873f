using SecretRotator.Cli;
using SecretRotator.Tests.TestSupport;

namespace SecretRotator.Tests.Cli;

/// <summary>What a user meets in the first five minutes: help, typos, bad option values, --version.</summary>
public sealed class CliMannersTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<CliResult> RunAsync(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await new CliApp(stdout, stderr).RunAsync(args, Ct);
        return new CliResult(code, stdout.ToString(), stderr.ToString(), "");
    }

    [Fact]
    public async Task NoArguments_PrintsHelpAndExits2()
    {
        var result = await RunAsync();

        Assert.Equal(CliApp.ExitUsage, result.ExitCode);
        Assert.Contains("Usage:", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("render", result.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("Required command", result.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("rnu", "run")]
    [InlineData("rendr", "render")]
    [InlineData("valdiate", "validate")]
    public async Task UnknownCommand_SuggestsTheNearest(string typed, string expected)
    {
        var result = await RunAsync(typed, "--config", "x.yaml");

        Assert.Equal(CliApp.ExitUsage, result.ExitCode);
        Assert.Contains($"unknown command '{typed}'; did you mean '{expected}'?", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownCommand_FarFromEveryCommand_ListsThem()
    {
        var result = await RunAsync("deploy");

        Assert.Equal(CliApp.ExitUsage, result.ExitCode);
        Assert.Contains("unknown command 'deploy' (commands: run, render, status, daemon, validate, rbac, explain, credential-provider)", result.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("70000")]
    [InlineData("-1")]
    public async Task MetricsPort_NotAPort_SaysItExpectsAPortNumber(string value)
    {
        var result = await RunAsync("run", "--config", "x.yaml", "--metrics-port", value);

        Assert.Equal(CliApp.ExitUsage, result.ExitCode);
        Assert.Contains($"--metrics-port expects a port number (1-65535), not '{value}'", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", result.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("run")]
    [InlineData("render")]
    public async Task Namespace_NotAName_Exits2InRunAndRender(string command)
    {
        var result = await RunAsync(command, "--config", "x.yaml", "--namespace", "team-*");

        Assert.Equal(CliApp.ExitUsage, result.ExitCode);
        Assert.Contains("--namespace 'team-*' is not a namespace name", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LogFormat_UnknownValue_Exits2()
    {
        var result = await RunAsync("validate", "--config", "x.yaml", "--log-format", "xml");

        Assert.Equal(CliApp.ExitUsage, result.ExitCode);
        Assert.Contains("xml", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Version_PrintsVersionAndTheCommitItWasBuiltFrom()
    {
        var result = await RunAsync("--version");

        Assert.Equal(CliApp.ExitOk, result.ExitCode);
        Assert.Matches(@"^secret-rotator \d+\.\d+\.\d+\S* \(commit ([0-9a-f]{40}|unknown: built without git metadata)\)\n$", result.Stdout);
        // Built from a git checkout (always so for the test run), the commit must be there, not "unknown".
        if (Directory.Exists(Path.Combine(TestData.RepoRoot, ".git")) || File.Exists(Path.Combine(TestData.RepoRoot, ".git")))
            Assert.Matches(@"\(commit [0-9a-f]{40}\)", result.Stdout);
    }

    [Fact]
    public async Task Version_AsAProcess_PrintsTheSameLine()
    {
        var result = await RotatorProcess.RunAsync(new Dictionary<string, string?>(), "--version");

        Assert.Equal(CliApp.ExitOk, result.ExitCode);
        Assert.Equal(CliApp.VersionText() + "\n", result.Stdout);
    }

    [Fact]
    public async Task RunAndRender_ShareTheirOptionWording()
    {
        var run = await RunAsync("run", "--help");
        var render = await RunAsync("render", "--help");

        foreach (var option in new[] { "--config", "--kubeconfig", "--context", "--secret", "--namespace" })
            Assert.Equal(HelpLine(run.Stdout, option), HelpLine(render.Stdout, option));
    }

    /// <summary>An option's help line with the column padding collapsed (it depends on the command's longest option).</summary>
    private static string HelpLine(string help, string option) => System.Text.RegularExpressions.Regex.Replace(
        help.Split('\n').Single(l => l.TrimStart().StartsWith('-') && l.Contains(option + " ", StringComparison.Ordinal)).Trim(), @"\s{2,}", "  ");

    [Theory]
    [InlineData("run", "run", 0)]
    [InlineData("rnu", "run", 1)]
    [InlineData("ab", "ba", 1)]
    [InlineData("render", "run", 4)]
    public void EditDistance_CountsSwapsAsOneEdit(string a, string b, int expected) =>
        Assert.Equal(expected, CliApp.EditDistance(a, b));
}
