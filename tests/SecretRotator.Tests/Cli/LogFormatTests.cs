using System.Globalization;
using System.Text;
using System.Text.Json;
using SecretRotator.Tests.Fakes.Kubernetes;
using SecretRotator.Tests.TestSupport;

namespace SecretRotator.Tests.Cli;

/// <summary>Log lines as the binary writes them to stderr: JSON for machines, text with date and zone for people.</summary>
public sealed class LogFormatTests : IDisposable
{
    private const string Password = "pw-7f3a9c-never-in-logs";
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("secret-rotator-logs-");

    public void Dispose() => _dir.Delete(recursive: true);

    private string Config()
    {
        File.WriteAllText(Path.Combine(_dir.FullName, "password.txt"), Password + "\n");
        var path = Path.Combine(_dir.FullName, "config.yaml");
        File.WriteAllText(path, """
            registries:
              - {name: ghcr, type: static, server: ghcr.io, username: bot, password: {file: password.txt}}
            secrets:
              - {name: regcred, registries: [ghcr], namespaces: {names: [default, absent]}}
            """);
        return path;
    }

    private static List<JsonElement> JsonLines(string stderr)
    {
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(lines);
        return [.. lines.Select(l => JsonDocument.Parse(l).RootElement)];
    }

    [Fact]
    public async Task LogFormatJson_EveryStderrLineIsJsonWithUtcTimeLevelEventIdCategoryAndFields()
    {
        var result = await RotatorProcess.RunAsync(new Dictionary<string, string?>(), "render", "--config", Config(), "--log-format", "json");

        Assert.True(result.ExitCode == 0, result.ToString());
        var fetched = JsonLines(result.Stderr).Single(l => l.GetProperty("Category").GetString() == "SecretRotator.Rotation.CredentialFetcher");
        var time = fetched.GetProperty("Timestamp").GetString()!;
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", time);
        Assert.True(DateTimeOffset.UtcNow - DateTimeOffset.Parse(time, CultureInfo.InvariantCulture) < TimeSpan.FromHours(1), $"{time} is not UTC now");
        Assert.Equal("Information", fetched.GetProperty("LogLevel").GetString());
        Assert.True(fetched.GetProperty("EventId").GetInt32() > 0);
        Assert.Equal("ghcr", fetched.GetProperty("State").GetProperty("Registry").GetString());
    }

    [Fact]
    public async Task LogFormatVariable_Json_IsUsedWithoutTheOption()
    {
        var result = await RotatorProcess.RunAsync(new Dictionary<string, string?> { ["SECRET_ROTATOR_LOG_FORMAT"] = "json" }, "render", "--config", Config());

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.All(JsonLines(result.Stderr), l => Assert.True(l.TryGetProperty("Category", out _)));
    }

    [Fact]
    public async Task LogFormatOption_WinsOverTheVariable()
    {
        var result = await RotatorProcess.RunAsync(new Dictionary<string, string?> { ["SECRET_ROTATOR_LOG_FORMAT"] = "json" }, "render", "--config", Config(), "--log-format", "text");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.StartsWith("20", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("{\"Timestamp\"", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TextLogs_StartWithDateTimeAndZone()
    {
        var result = await RotatorProcess.RunAsync(new Dictionary<string, string?>(), "render", "--config", Config());

        Assert.True(result.ExitCode == 0, result.ToString());
        var line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z info: SecretRotator\.Rotation\.CredentialFetcher\[\d+\] ", line);
    }

    [Theory]
    [InlineData("Logging__LogLevel__Default")]
    [InlineData("SECRET_ROTATOR_Logging__LogLevel__Default")]
    public async Task StandardLogLevelVariable_Warning_SilencesInformation(string variable)
    {
        var result = await RotatorProcess.RunAsync(new Dictionary<string, string?> { [variable] = "Warning" }, "render", "--config", Config());

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Empty(result.Stderr);
    }

    [Fact]
    public async Task RunAgainstTheFakeApiServer_JsonLogsAtTrace_NeverContainTheCredential()
    {
        // Arrange: a real run in its own process, talking to the loopback API server through a kubeconfig.
        await using var api = await FakeKubeApiServer.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        api.AddNamespace("default");
        var kubeconfig = Path.Combine(_dir.FullName, "kubeconfig");
        File.WriteAllText(kubeconfig, $"""
            apiVersion: v1
            kind: Config
            clusters: [{"{"}name: fake, cluster: {"{"}server: "{api.Url}"{"}"}{"}"}]
            users: [{"{"}name: fake, user: {"{"}token: not-a-credential{"}"}{"}"}]
            contexts: [{"{"}name: fake, context: {"{"}cluster: fake, user: fake{"}"}{"}"}]
            current-context: fake
            """);

        // Act
        var result = await RotatorProcess.RunAsync(
            new Dictionary<string, string?> { ["Logging__LogLevel__Default"] = "Trace" },
            "run", "--config", Config(), "--kubeconfig", kubeconfig, "--log-format", "json");

        // Assert: the run worked and logged, and no form of the password is in any line.
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.NotNull(api.GetSecret("default", "regcred"));
        Assert.Contains(JsonLines(result.Stderr), l => l.GetProperty("LogLevel").GetString() == "Warning" && l.GetProperty("Message").GetString()!.Contains("absent", StringComparison.Ordinal));
        foreach (var form in new[] { Password, Convert.ToBase64String(Encoding.UTF8.GetBytes("bot:" + Password)), Convert.ToBase64String(Encoding.UTF8.GetBytes(Password)) })
            Assert.DoesNotContain(form, result.Stderr, StringComparison.Ordinal);
        Assert.Contains("result: ok", result.Stdout, StringComparison.Ordinal);
    }
}
