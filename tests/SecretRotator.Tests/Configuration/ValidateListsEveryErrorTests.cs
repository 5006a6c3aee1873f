using SecretRotator.Configuration;
using static SecretRotator.Tests.Configuration.TestConfigs;

namespace SecretRotator.Tests.Configuration;

/// <summary>One validate shows every problem: no error hides another, and every error is located.</summary>
public sealed class ValidateListsEveryErrorTests
{
    [Fact]
    public void Parse_DuplicateKeyWithOtherErrors_ReportsThemAll()
    {
        var yaml = Replace("  verify: true\n", "  verify: true\n  verify: false\n")
            .Replace("  concurrency: 4\n", "  concurrency: many\n", StringComparison.Ordinal)
            .Replace($"password: {{env: {TokenVariable}}}", $"password: {{env: {UnsetVariable}}}", StringComparison.Ordinal);

        var errors = Errors(yaml);

        Assert.Equal(["registries[0].password.env", "settings.concurrency", "settings.verify"], errors.Select(e => e.Path).Order(StringComparer.Ordinal));
        Assert.Contains("duplicate key 'verify'", errors.Single(e => e.Path == "settings.verify").Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_DuplicateKey_TheFirstValueIsTheOneValidated()
    {
        // The second 'concurrency' is wrong but dropped (and reported as a duplicate); the first is valid.
        var yaml = Replace("  concurrency: 4\n", "  concurrency: 4\n  concurrency: many\n");

        var error = Assert.Single(Errors(yaml));

        Assert.Equal("settings.concurrency", error.Path);
        Assert.Contains("duplicate key", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_UnknownTypeWithAnUnsetVariable_ReportsBoth()
    {
        var yaml = Replace("    type: static\n    server: ghcr.io\n", "    type: statik\n    server: ghcr.io\n")
            .Replace($"password: {{env: {TokenVariable}}}", $"password: {{env: {UnsetVariable}}}", StringComparison.Ordinal);

        var errors = Errors(yaml);

        Assert.Equal(["registries[0].password.env", "registries[0].type"], errors.Select(e => e.Path).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Parse_UnsetVariableAmongManyErrors_IsReported()
    {
        var yaml = Replace("  - name: ghcr\n", "  - name: GHCR\n")
            .Replace("  timeout: 90s\n", "  timeout: never\n", StringComparison.Ordinal)
            .Replace("    username: {env: SECRET_ROTATOR_TEST_TOKEN}\n", $"    username: {{env: {UnsetVariable}}}\n", StringComparison.Ordinal);

        var errors = Errors(yaml);

        Assert.Contains(errors, e => e.Path == "registries[1].username.env" && e.Message.Contains(UnsetVariable, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("  concurrency: 4\n", "  concurrency: [4\n", "settings")]
    [InlineData("    server: ghcr.io\n", "    server: \"ghcr.io\n", "registries[0].server")]
    [InlineData("    server: ghcr.io\n", "    server: ghcr.io\n   bad: indent\n", "registries[")]
    [InlineData("  timeout: 90s\n", "  timeout: 90s\n x\n", "settings")]
    public void Parse_SyntaxError_HasARealLocationAndAFieldPath(string find, string replacement, string pathPrefix)
    {
        var yaml = Replace(find, replacement);

        var error = Assert.Single(Errors(yaml));

        Assert.Contains("invalid YAML", error.Message, StringComparison.Ordinal);
        Assert.True(error.Line > 0 && error.Column > 0, error.ToString());
        Assert.StartsWith(pathPrefix, error.Path, StringComparison.Ordinal);
        Assert.DoesNotContain(":0:0:", error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(": :", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_SyntaxErrorAtTheTop_SaysTopLevelRatherThanAnEmptyPath()
    {
        var error = Assert.Single(Errors("registries: [\n"));

        Assert.DoesNotContain(": :", error.ToString(), StringComparison.Ordinal);
        Assert.Matches(@":\d+:\d+: \S", error.ToString());
    }

    [Fact]
    public void Load_MissingFile_ReadsFileColonMessage()
    {
        var path = Path.Combine(ConfigDirectory, "no-such-config.yaml");

        var error = Assert.Single(Assert.Throws<ConfigException>(() => Loader().Load(path)).Errors);

        Assert.StartsWith($"{path}: cannot read config file", error.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("username: bot", "username: \"bot:x\"")]
    [InlineData("username: bot", "username: {env: SECRET_ROTATOR_TEST_COLON_USER}")]
    public void Parse_UsernameWithColon_IsAWarningNotAnError(string find, string replacement)
    {
        Environment.SetEnvironmentVariable("SECRET_ROTATOR_TEST_COLON_USER", "robot$org:team");
        var yaml = Replace(find, replacement);

        var config = Loader().Parse(yaml, FileName);

        var warning = Assert.Single(config.Warnings);
        Assert.Equal("registries[0].username", warning.Path);
        Assert.Equal(LineOf(yaml, replacement), warning.Line);
        Assert.Contains("contains ':'", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_WarningAndErrors_KeepsTheWarningForTheReport()
    {
        var yaml = Replace("username: bot", "username: \"bot:x\"").Replace("  concurrency: 4\n", "  concurrency: 0\n", StringComparison.Ordinal);

        var ex = Assert.Throws<ConfigException>(() => Loader().Parse(yaml, FileName));

        Assert.Equal("settings.concurrency", Assert.Single(ex.Errors).Path);
        Assert.Equal("registries[0].username", Assert.Single(ex.Warnings).Path);
    }
}
