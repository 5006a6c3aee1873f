using System.Diagnostics;
using System.Text;
using SecretRotator.Configuration;
using static SecretRotator.Tests.Configuration.TestConfigs;

namespace SecretRotator.Tests.Configuration;

public sealed class YamlGuardTests
{
    [Theory]
    [InlineData("[", "", "]")]
    [InlineData("{a: ", "1", "}")]
    [InlineData("- ", "x", "")]
    public void Parse_NestingDeeperThanLimit_IsRejectedNotAStackOverflow(string open, string inner, string close)
    {
        // 100k levels overflow YamlDotNet's recursive node loader, which would kill the process.
        var depth = 100_000;
        var yaml = string.Concat(Enumerable.Repeat(open, depth)) + inner + string.Concat(Enumerable.Repeat(close, depth));

        var error = Assert.Single(Errors(yaml));

        Assert.Contains($"nested deeper than {YamlGuard.MaxDepth}", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, error.Line);
    }

    [Fact]
    public void Parse_NestingAtTheLimit_IsNotRejectedByTheGuard()
    {
        var yaml = "x: " + new string('[', YamlGuard.MaxDepth - 1) + new string(']', YamlGuard.MaxDepth - 1) + "\n";

        var errors = Errors(yaml);

        Assert.DoesNotContain(errors, e => e.Message.Contains("nested deeper", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Path == "x" && e.Message == "unknown field");
    }

    [Fact]
    public void Parse_AliasBombUsedAsKey_IsRejectedQuickly()
    {
        // Loading this took 40 s in YamlDotNet (the key's hash walks 10^9 nodes); the guard stops it before loading.
        var yaml = new StringBuilder("a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for (var c = 'b'; c <= 'j'; c++) yaml.Append($"{c}: &{c} [{string.Join(", ", Enumerable.Repeat($"*{(char)(c - 1)}", 9))}]\n");
        yaml.Append("? *j\n: boom\n");
        var watch = Stopwatch.StartNew();

        var errors = Errors(yaml.ToString());

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");
        Assert.Contains(errors, e => e.Line == 11 && e.Message.Contains("mapping keys must be plain strings", StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_AliasBombAsValue_IsReportedAsUnknownFieldsWithoutExpanding()
    {
        var yaml = new StringBuilder("a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for (var c = 'b'; c <= 'j'; c++) yaml.Append($"{c}: &{c} [{string.Join(", ", Enumerable.Repeat($"*{(char)(c - 1)}", 9))}]\n");
        var watch = Stopwatch.StartNew();

        var errors = Errors(yaml.ToString());

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");
        Assert.Contains(errors, e => e.Path == "j" && e.Message == "unknown field");
    }

    [Fact]
    public void Parse_AliasBombInAStringList_IsATypeError()
    {
        var yaml = new StringBuilder("x-lol: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for (var c = 'b'; c <= 'j'; c++) yaml.Append($"x-{c}: &{c} [{string.Join(", ", Enumerable.Repeat($"*{(char)(c == 'b' ? 'a' : c - 1)}", 9))}]\n");
        var text = Replace(yaml + Valid, "names: [default, \"team-*\"]", "names: *j");
        var watch = Stopwatch.StartNew();

        var errors = Errors(text);

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");
        // Each of the 9 items is itself a list: 9 errors, not 9^9.
        Assert.Equal(9, errors.Count(e => e.Path.StartsWith("secrets[0].namespaces.names[", StringComparison.Ordinal)));
    }

    [Fact]
    public void Parse_SelfReferencingAlias_IsReportedNotLooped()
    {
        var yaml = Replace("names: [default, \"team-*\"]", "names: &self [default, *self]");

        var errors = Errors(yaml);

        Assert.Contains(errors, e => e.Path == "secrets[0].namespaces.names[1]");
    }

    [Fact]
    public void Parse_UndefinedAlias_ReportsItsPath()
    {
        var yaml = Replace("names: [default, \"team-*\"]", "names: [default, *nowhere]");

        var error = Assert.Single(Errors(yaml));

        Assert.Equal("secrets[0].namespaces.names[1]", error.Path);
        Assert.Equal(LineOf(yaml, "*nowhere"), error.Line);
        Assert.Contains("'*nowhere'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("? [a, b]\n: 1\n")]
    [InlineData("? {a: b}\n: 1\n")]
    [InlineData("x: &k name\n*k : 1\n")]
    public void Parse_NonScalarKey_IsRejected(string yaml)
    {
        var errors = Errors(yaml);

        Assert.Contains(errors, e => e.Message.Contains("mapping keys must be plain strings", StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_DuplicateKeysInNestedSequences_ReportIndexedPaths()
    {
        var yaml = Replace("    serviceAccounts: [default]\n", "    serviceAccounts: [default]\n    name: again\n");

        var error = Assert.Single(Errors(yaml));

        Assert.Equal("secrets[0].name", error.Path);
        Assert.Equal(LineOf(yaml, "name: again"), error.Line);
    }

    [Theory]
    [InlineData('\0')]
    [InlineData('\u0001')]
    [InlineData('\u001b')]
    [InlineData('\u007f')]
    public void Parse_ControlCharacter_IsRejectedAtItsPosition(char c)
    {
        // YamlDotNet reads NUL as the end of the stream: the rest of the file (here: a typo) would be ignored.
        var yaml = Replace("  concurrency: 4\n", $"  concurrency: 4{c}\n") + "typo: 1\n";

        var error = Assert.Single(Errors(yaml));

        Assert.Equal(LineOf(yaml, "concurrency: 4"), error.Line);
        Assert.Equal(17, error.Column);
        Assert.Contains($"U+{(int)c:X4}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_UnclosedFlowList_ReportsPositionNotInvalidOperation()
    {
        // YamlDotNet's scanner throws a bare InvalidOperationException here.
        var yaml = Replace("  concurrency: 4\n", "  concurrency: [4\n");

        var error = Assert.Single(Errors(yaml));

        Assert.StartsWith("invalid YAML:", error.Message, StringComparison.Ordinal);
        Assert.True(error.Line > 1, $"line {error.Line}");
    }
}
