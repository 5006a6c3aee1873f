using SecretRotator.Tests.Fakes.Kubernetes;
using SecretRotator.Tests.TestSupport;

namespace SecretRotator.Tests.Published;

/// <summary>
/// A kubeconfig exec credential plugin that fails, as the shipped binary (or the dll) reports it: what kubectl shows,
/// the plugin's exit code and its stderr, never a runtime type name; at start-up and on a refresh mid-run.
/// </summary>
public sealed class ExecPluginFailureTests : IAsyncLifetime
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("secret-rotator-exec-");
    private FakeKubeApiServer _api = null!;

    public async ValueTask InitializeAsync()
    {
        _api = await FakeKubeApiServer.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        _api.AddNamespace("team-a");
        WriteFile("password.txt", "pw-exec");
        Config = WriteFile("config.yaml", """
            registries: [{name: hub, type: static, server: registry.example.com, username: robot, password: {file: password.txt}}]
            secrets: [{name: regcred, registries: [hub], namespaces: {names: ["team-*"]}}]
            """);
    }

    public async ValueTask DisposeAsync()
    {
        await _api.DisposeAsync();
        _dir.Delete(recursive: true);
    }

    private string Config { get; set; } = "";

    private string WriteFile(string name, string content)
    {
        var path = Path.Combine(_dir.FullName, name);
        File.WriteAllText(path, content);
        return path;
    }

    private string Kubeconfig(Uri server, string user) => WriteFile("kubeconfig", $$$"""
        apiVersion: v1
        kind: Config
        clusters: [{name: fake, cluster: {server: "{{{server.ToString().TrimEnd('/')}}}"}}]
        users: [{name: fake, user: {{{user}}}}]
        contexts: [{name: fake, context: {cluster: fake, user: fake}}]
        current-context: fake
        """);

    private static Dictionary<string, string?> NoEnvironment() => [];

    [Fact]
    public async Task Run_KubeconfigExecPluginFails_Exits2WithItsExitCodeAndStderr()
    {
        // Arrange: what `aws eks get-token` does with an expired SSO session.
        Assert.SkipWhen(OperatingSystem.IsWindows(), "the plugin is a shell script");
        var plugin = WriteFile("plugin.sh", "#!/bin/sh\necho 'Error loading SSO Token: Token for my-sso does not exist' >&2\nexit 1\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(plugin, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var kubeconfig = Kubeconfig(_api.Url, $$$"""{exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: "{{{plugin}}}", interactiveMode: Never}}""");

        // Act
        var result = await RotatorProcess.RunAsync(NoEnvironment(), "run", "--config", Config, "--kubeconfig", kubeconfig);

        // Assert: kubectl's facts (exit code, stderr), one line, no runtime type name.
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Equal($"error: kubeconfig {kubeconfig}: user 'fake': credential plugin '{plugin}' failed: exit code 1: Error loading SSO Token: Token for my-sso does not exist",
            result.Stderr.Trim());
        Assert.Empty(_api.Writes);
    }

    [Fact]
    public async Task Run_ExecPluginTokenExpiredAndRefreshFails_NamesItsExitCodeAndStderr()
    {
        // Arrange: the first call answers with a token that has already expired; every later call fails.
        Assert.SkipWhen(OperatingSystem.IsWindows(), "the plugin is a shell script");
        var calls = Path.Combine(_dir.FullName, "plugin-calls");
        var plugin = WriteFile("plugin.sh", $$$"""
            #!/bin/sh
            if [ -f "{{{calls}}}" ]; then echo 'Error loading SSO Token: Token for my-sso does not exist' >&2; exit 1; fi
            touch "{{{calls}}}"
            echo '{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":{"token":"t","expirationTimestamp":"2000-01-01T00:00:00Z"}}'
            """);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(plugin, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var kubeconfig = Kubeconfig(_api.Url, $$$"""{exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: "{{{plugin}}}", interactiveMode: Never}}""");

        // Act
        var result = await RotatorProcess.RunAsync(NoEnvironment(), "run", "--config", Config, "--kubeconfig", kubeconfig);

        // Assert
        Assert.True(result.ExitCode != 0, result.ToString());
        Assert.Contains($"credential plugin '{plugin}' failed: exit code 1: Error loading SSO Token: Token for my-sso does not exist", result.Stdout + result.Stderr,
            StringComparison.Ordinal);
        Assert.DoesNotContain("System.", result.Stdout + result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", result.Stdout + result.Stderr, StringComparison.Ordinal);
        Assert.Empty(_api.Writes);
    }
}
