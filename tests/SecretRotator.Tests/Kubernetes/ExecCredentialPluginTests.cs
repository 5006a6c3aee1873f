using k8s.Exceptions;
using k8s.KubeConfigModels;
using Microsoft.Extensions.Time.Testing;
using SecretRotator.Kubernetes;

namespace SecretRotator.Tests.Kubernetes;

/// <summary>The native binary's own exec credential plugin runner, against a real plugin script.</summary>
public sealed class ExecCredentialPluginTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("secret-rotator-exec-");

    /// <summary>A plugin that counts its runs, echoes KUBERNETES_EXEC_INFO to a file and answers token-N.</summary>
    private ExternalExecution Plugin(string apiVersion = "client.authentication.k8s.io/v1", string answerVersion = "client.authentication.k8s.io/v1")
    {
        var script = Path.Combine(_dir.FullName, "plugin.sh");
        File.WriteAllText(script, $$$"""
            #!/bin/sh
            n=$(($(cat "$DIR/runs" 2>/dev/null || echo 0) + 1)); echo $n > "$DIR/runs"
            printf '%s' "$KUBERNETES_EXEC_INFO" > "$DIR/info"
            echo '{"apiVersion":"{{{answerVersion}}}","kind":"ExecCredential","status":{"token":"token-'$n'","expirationTimestamp":"2026-12-01T12:15:00Z"}}'
            """);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return new ExternalExecution
        {
            ApiVersion = apiVersion,
            Command = script,
            EnvironmentVariables = [new Dictionary<string, string> { ["name"] = "DIR", ["value"] = _dir.FullName }],
        };
    }

    [Fact]
    public async Task GetAuthenticationHeaderAsync_BeforeAndAfterExpiry_ReusesThenRunsThePluginAgain()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));
        using var plugin = new ExecCredentialPlugin(Plugin(), time);
        var ct = TestContext.Current.CancellationToken;

        plugin.Refresh();
        var first = await plugin.GetAuthenticationHeaderAsync(ct);
        time.Advance(TimeSpan.FromMinutes(10));
        var reused = await plugin.GetAuthenticationHeaderAsync(ct);
        time.Advance(TimeSpan.FromSeconds(280)); // 12:14:40: within 30 s of the 12:15 expiry
        var second = await plugin.GetAuthenticationHeaderAsync(ct);

        Assert.Equal("Bearer token-1", first.ToString());
        Assert.Equal("Bearer token-1", reused.ToString());
        Assert.Equal("Bearer token-2", second.ToString());
        Assert.Equal("""{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredentials","spec":{"interactive":false}}""",
            await File.ReadAllTextAsync(Path.Combine(_dir.FullName, "info"), ct));
    }

    [Fact]
    public void Refresh_AnswerOfAnotherApiVersion_ThrowsNamingBoth()
    {
        using var plugin = new ExecCredentialPlugin(Plugin(answerVersion: "client.authentication.k8s.io/v1beta1"), TimeProvider.System);

        var error = Assert.Throws<KubeConfigException>(plugin.Refresh);

        Assert.Contains("'client.authentication.k8s.io/v1beta1', not the kubeconfig's 'client.authentication.k8s.io/v1'", error.Message, StringComparison.Ordinal);
    }

    public void Dispose() => _dir.Delete(recursive: true);
}
