using SecretRotator.Cli;
using SecretRotator.Tests.TestSupport;

namespace SecretRotator.Tests.Cli;

public sealed class ValidateCommandTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("secret-rotator-validate-");

    public void Dispose() => _dir.Delete(recursive: true);

    private async Task<CliResult> ValidateAsync(string yaml)
    {
        File.WriteAllText(Path.Combine(_dir.FullName, "p.txt"), "pw");
        var config = Path.Combine(_dir.FullName, "c.yaml");
        File.WriteAllText(config, yaml);
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await new CliApp(stdout, stderr).RunAsync(["validate", "--config", config], TestContext.Current.CancellationToken);
        return new CliResult(code, stdout.ToString(), stderr.ToString(), "");
    }

    [Fact]
    public async Task Validate_UsernameWithColon_WarnsWithLocationAndExits0()
    {
        var result = await ValidateAsync("""
            registries:
              - name: r
                type: static
                server: quay.io
                username: "robot:puller"
                password: {file: p.txt}
            secrets:
              - {name: regcred, registries: [r], namespaces: {names: [default]}}
            """);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("c.yaml:5:15: registries[0].username: contains ':'", result.Stderr, StringComparison.Ordinal);
        Assert.StartsWith("warning: ", result.Stderr, StringComparison.Ordinal);
        Assert.EndsWith("OK (1 registry, 1 secret, 1 warning)\n", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_SeveralErrors_CountsThemInASentence()
    {
        var result = await ValidateAsync("""
            registries:
              - {name: r, type: static, server: quay.io, username: u, password: {file: p.txt}, extra: 1}
            secrets:
              - {name: regcred, registries: [r], namespaces: {names: [default]}, more: 2}
            """);

        Assert.Equal(CliApp.ExitUsage, result.ExitCode);
        Assert.Contains("\n2 errors in ", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("error(s)", result.Stderr, StringComparison.Ordinal);
    }
}
