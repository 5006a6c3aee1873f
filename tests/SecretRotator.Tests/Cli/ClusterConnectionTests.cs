using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using SecretRotator.Cli;
using SecretRotator.Configuration;
using SecretRotator.Kubernetes;
using SecretRotator.Registries;
using SecretRotator.Tests.Fakes.Kubernetes;
using SecretRotator.Tests.TestSupport;

namespace SecretRotator.Tests.Cli;

/// <summary>
/// How run meets a cluster it cannot use: a broken kubeconfig is one line and exit 2 (never a crash or a stack
/// trace), an unreachable API server one line naming the server and the cause and exit 1, a 401 reason unauthorized.
/// These runs build the real client from a kubeconfig file, as the CLI does.
/// </summary>
public sealed class ClusterConnectionTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("secret-rotator-kubeconfig-");
    private readonly FakeLogCollector _logs = new();

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public async Task Run_ApiServerPortClosed_Exits1WithOneLineNamingServerAndCause()
    {
        // Arrange
        var port = ClosedPort();
        var kubeconfig = Write("kubeconfig", Kubeconfig($"http://127.0.0.1:{port}"));

        // Act
        var result = await RunAsync(new Dictionary<string, string>(), "--kubeconfig", kubeconfig);

        // Assert
        Assert.True(result.ExitCode == 1, result.ToString());
        var line = Assert.Single(Lines(result.Stderr));
        Assert.Equal($"error: cannot reach the Kubernetes API server http://127.0.0.1:{port}: connection refused", line);
        Assert.Empty(result.Stdout);
        Assert.Contains("failed: connection refused", result.Logs, StringComparison.Ordinal); // the retries said why
        Assert.DoesNotContain("namespace", result.Logs, StringComparison.OrdinalIgnoreCase); // no per-namespace cascade
    }

    [Fact]
    public async Task Run_ApiServerAnswers401_Exits1Unauthorized()
    {
        // Arrange
        await using var api = await FakeKubeApiServer.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        api.FaultHook = _ => KubeFault.Unauthorized();
        var kubeconfig = Write("kubeconfig", Kubeconfig(api.Url.ToString().TrimEnd('/')));

        // Act
        var result = await RunAsync(new Dictionary<string, string>(), "--kubeconfig", kubeconfig);

        // Assert
        Assert.True(result.ExitCode == 1, result.ToString());
        var line = Assert.Single(Lines(result.Stderr));
        Assert.StartsWith("error: unauthorized: the Kubernetes API server http://127.0.0.1:", line, StringComparison.Ordinal);
        Assert.Contains("(HTTP 401)", line, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("random-bytes", "not a valid kubeconfig")]
    [InlineData("clusters: 5\n", "not a valid kubeconfig")]
    [InlineData("", "the file is empty")]
    public async Task Run_UnparsableKubeconfig_Exits2WithOneLineNamingFile(string content, string problem)
    {
        // Arrange
        var kubeconfig = content == "random-bytes" ? WriteBytes("kubeconfig", RandomBytes()) : Write("kubeconfig", content);

        // Act
        var result = await RunAsync(new Dictionary<string, string>(), "--kubeconfig", kubeconfig);

        // Assert
        AssertOneLineUsageError(result, $"error: kubeconfig {kubeconfig}: {problem}");
    }

    [Fact]
    public async Task Run_KubeconfigVariableNamesMissingFile_Exits2SayingSo()
    {
        var result = await RunAsync(new Dictionary<string, string> { ["KUBECONFIG"] = "/nonexistent" });

        AssertOneLineUsageError(result, "error: KUBECONFIG=/nonexistent: no such file");
    }

    [Fact]
    public async Task Run_ContextNotDefined_Exits2NamingContext()
    {
        var kubeconfig = Write("kubeconfig", Kubeconfig("http://127.0.0.1:1"));

        var result = await RunAsync(new Dictionary<string, string>(), "--kubeconfig", kubeconfig, "--context", "prod");

        AssertOneLineUsageError(result, $"error: kubeconfig {kubeconfig}: context 'prod' is not defined (contexts: test)");
    }

    [Fact]
    public async Task Run_ContextNamesMissingCluster_Exits2NamingContextAndCluster()
    {
        var kubeconfig = Write("kubeconfig", Kubeconfig("http://127.0.0.1:1").Replace("cluster: test", "cluster: gone", StringComparison.Ordinal));

        var result = await RunAsync(new Dictionary<string, string>(), "--kubeconfig", kubeconfig);

        AssertOneLineUsageError(result, $"error: kubeconfig {kubeconfig}: context 'test' refers to cluster 'gone', which is not defined");
    }

    [Fact]
    public async Task Run_ExecPluginFails_Exits2WithPluginStderrAndNoStackTrace()
    {
        // Arrange
        var plugin = Write("plugin.sh", "#!/bin/sh\necho 'Error loading SSO Token: the SSO session has expired or is invalid' >&2\nexit 1\n");
        Assert.SkipWhen(OperatingSystem.IsWindows(), "the plugin is a shell script");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(plugin, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var kubeconfig = Write("kubeconfig", Kubeconfig("http://127.0.0.1:1", $"""
                  exec:
                    apiVersion: client.authentication.k8s.io/v1beta1
                    command: {plugin}
                    interactiveMode: Never
            """));

        // Act
        var result = await RunAsync(new Dictionary<string, string>(), "--kubeconfig", kubeconfig);

        // Assert
        AssertOneLineUsageError(result,
            $"error: kubeconfig {kubeconfig}: user 'test': credential plugin '{plugin}' failed: exit code 1: Error loading SSO Token: the SSO session has expired or is invalid");
    }

    [Fact]
    public async Task Run_SecretSourceAnswers401_ReportsUnauthorized()
    {
        // Arrange
        await using var h = await RotatorHarness.StartAsync("default");
        h.Api.FaultHook = r => r.Verb == "get" && r.Resource == "secrets" && r.Namespace == "ops" ? KubeFault.Unauthorized() : null;
        var config = h.WriteConfig("""
            registries:
              - {name: hub, type: static, server: ghcr.io, username: u, password: {secret: {namespace: ops, name: ghcr, key: token}}}
            secrets:
              - {name: regcred, registries: [hub], namespaces: {names: [default]}}
            """);

        // Act
        var result = await h.RunCliAsync("run", "--config", config);

        // Assert
        Assert.Equal(1, result.ExitCode);
        Assert.True(result.Stdout.Contains("registry hub: cannot read secret ops/ghcr: the cluster rejected our credentials (HTTP 401)", StringComparison.Ordinal),
            result.ToString());
        Assert.DoesNotContain("invalid status code", result.All, StringComparison.Ordinal);
    }

    private static void AssertOneLineUsageError(CliResult result, string expectedStart)
    {
        Assert.True(result.ExitCode == 2, result.ToString());
        var line = Assert.Single(Lines(result.Stderr));
        Assert.True(line.StartsWith(expectedStart, StringComparison.Ordinal), line);
        Assert.DoesNotContain(" at ", line, StringComparison.Ordinal); // no stack frame
        Assert.DoesNotContain("k8s.KubeConfigModels", line, StringComparison.Ordinal);
    }

    private async Task<CliResult> RunAsync(Dictionary<string, string> environment, params string[] kubeArgs)
    {
        var password = Write("password.txt", "p");
        var config = Write("config.yaml", $$"""
            registries:
              - name: hub
                type: static
                server: ghcr.io
                username: u
                password: {file: {{password}}}
            secrets:
              - name: regcred
                registries: [hub]
                namespaces:
                  names: [team-a, team-b]
            """);
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var time = new BackoffSkippingTimeProvider(DateTimeOffset.UnixEpoch, TimeSpan.FromMinutes(1));
        var app = new CliApp(stdout, stderr, services =>
        {
            services.AddSingleton<TimeProvider>(time);
            services.AddSingleton(new KubernetesRetryOptions { AttemptTimeout = TimeSpan.FromHours(1) });
            services.AddSingleton<IEnvironmentVariables>(new DictionaryEnvironment(environment));
            services.AddLogging(b => b.ClearProviders().SetMinimumLevel(LogLevel.Trace).AddProvider(new FakeLoggerProvider(_logs)));
        });
        var code = await app.RunAsync(["run", "--config", config, .. kubeArgs], TestContext.Current.CancellationToken);
        return new CliResult(code, stdout.ToString(), stderr.ToString(), string.Join("\n", _logs.GetSnapshot().Select(r => r.Message)));
    }

    private static string Kubeconfig(string server, string user = "      token: abc") => $$"""
        apiVersion: v1
        kind: Config
        current-context: test
        clusters:
          - name: test
            cluster: {server: {{server}}}
        contexts:
          - name: test
            context: {cluster: test, user: test}
        users:
          - name: test
            user:
        {{user}}
        """;

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static byte[] RandomBytes()
    {
        var bytes = new byte[512];
        new Random(11).NextBytes(bytes);
        return bytes;
    }

    private string Write(string name, string content) => WriteBytes(name, System.Text.Encoding.UTF8.GetBytes(content));

    private string WriteBytes(string name, byte[] content)
    {
        var path = Path.Combine(_dir.FullName, name);
        File.WriteAllBytes(path, content);
        return path;
    }

    private sealed class DictionaryEnvironment(Dictionary<string, string> values) : IEnvironmentVariables
    {
        public string? Get(string name) => values.GetValueOrDefault(name);
    }
}
