using System.Diagnostics;
using System.Text;
using SecretRotator.Cli;
using SecretRotator.Configuration;
using SecretRotator.Tests.TestSupport;

namespace SecretRotator.Tests.Configuration;

/// <summary>
/// The same seeded bad configs through the real CLI: each ends in exit code 2 with the located errors on
/// stderr, and not one request reaches the (fake) Kubernetes API server.
/// </summary>
public sealed class CliConfigFuzzTests(ITestOutputHelper output)
{
    private static readonly string[][] Commands = [["run"], ["validate"], ["render"], ["run", "--dry-run"]];

    [Fact(Timeout = 180_000)]
    public async Task Cli_MutatedConfigs_ExitTwoWithoutTouchingTheCluster()
    {
        await using var h = await RotatorHarness.StartAsync("default", "team-a");
        TestConfigs.WritePasswordFile(h.Directory);
        var loader = TestConfigs.Loader();
        // Every targeted mutation certain to be invalid, every 4th truncation, and the random edits the loader rejects
        // (a CLI run costs ~10 ms, so this is a third of the loader-level fuzz).
        var valid = TestConfigs.Valid;
        var bad = ConfigMutations.Truncations(valid).Where((_, i) => i % 4 == 0)
            .Concat(ConfigMutations.StructuralMutations(valid))
            .Concat(ConfigMutations.HugeAndHostile(valid))
            .Concat(ConfigMutations.Unicode(valid))
            .Concat(ConfigMutations.Random(valid, new Random(2000), 400))
            .Where(m => m.MustFail || IsRejected(loader, m))
            .ToList();
        var problems = new List<string>();
        var watch = Stopwatch.StartNew();

        for (var i = 0; i < bad.Count; i++)
        {
            // Random edits can split a surrogate pair; the default file encoder would throw where an editor writes U+FFFD.
            var path = Path.Combine(h.Directory, "config.yaml");
            await File.WriteAllTextAsync(path, bad[i].Text, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), TestContext.Current.CancellationToken);
            string[] args = [.. Commands[i % Commands.Length], "--config", path];

            var result = await h.RunCliAsync(args);

            if (result.ExitCode != CliApp.ExitUsage) problems.Add($"{bad[i].Name} ({string.Join(' ', args[..^2])}): exit {result.ExitCode}");
            else if (!result.Stderr.Contains($"error: {path}:", StringComparison.Ordinal)) problems.Add($"{bad[i].Name}: no located error on stderr: {result.Stderr[..Math.Min(300, result.Stderr.Length)]}");
            else if (result.Stdout.Length > 0) problems.Add($"{bad[i].Name}: wrote to stdout: {result.Stdout[..Math.Min(300, result.Stdout.Length)]}");
        }

        output.WriteLine($"{bad.Count} bad configs through the CLI in {watch.Elapsed.TotalSeconds:F1}s");
        Assert.True(problems.Count == 0, string.Join("\n", problems.Take(20)));
        Assert.True(bad.Count > 700, $"only {bad.Count} bad configs");
        Assert.Empty(h.Api.Journal);
    }

    [Fact]
    public async Task Cli_ValidConfig_IsAcceptedSoTheFuzzCanFail()
    {
        await using var h = await RotatorHarness.StartAsync("default");
        TestConfigs.WritePasswordFile(h.Directory);
        var path = h.WriteConfig(TestConfigs.Valid);

        var result = await h.RunCliAsync("validate", "--config", path);

        Assert.True(result.ExitCode == CliApp.ExitOk, result.ToString());
        Assert.Contains("OK (2 registries, 2 secrets)", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cli_ConfigErrors_DoNotEchoALiteralPassword()
    {
        await using var h = await RotatorHarness.StartAsync("default");
        var path = h.WriteConfig(TestConfigs.Replace("password: {env: SECRET_ROTATOR_TEST_TOKEN}", "password: hunter2-do-not-print"));

        var result = await h.RunCliAsync("run", "--config", path);

        Assert.Equal(CliApp.ExitUsage, result.ExitCode);
        Assert.Contains("registries[0].password: must not be a literal", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2-do-not-print", result.All, StringComparison.Ordinal);
        Assert.Empty(h.Api.Journal);
    }

    private static bool IsRejected(ConfigLoader loader, Mutation mutation)
    {
        try
        {
            loader.Parse(mutation.Text, TestConfigs.FileName);
            return false;
        }
        catch (ConfigException)
        {
            return true;
        }
    }
}
