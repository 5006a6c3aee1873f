using System.Diagnostics;
using System.Text;
using System.Text.Json;
using SecretRotator.Kubernetes;

namespace SecretRotator.Tests.TestSupport;

/// <summary>The real kubectl as an independent oracle for the bytes we write (client-side only, no cluster).</summary>
public static class Kubectl
{
    public static string FindOrSkip() =>
        RequiredTool.Find("kubectl", "the dockerconfigjson oracle tests need it", RequiredTool.IsCi, "/usr/bin");

    /// <summary>The .dockerconfigjson bytes of <c>kubectl create secret docker-registry --dry-run=client -o json</c>.</summary>
    public static async Task<byte[]> DockerConfigJsonAsync(string kubectl, string server, string username, string password, string? email, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(kubectl)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
        };
        // --dry-run=client never contacts a cluster; an empty kubeconfig path makes sure of it.
        start.Environment["KUBECONFIG"] = Path.Combine(Path.GetTempPath(), "secret-rotator-no-kubeconfig");
        foreach (var arg in new[] { "create", "secret", "docker-registry", "x", $"--docker-server={server}", $"--docker-username={username}", $"--docker-password={password}" })
            start.ArgumentList.Add(arg);
        if (email is not null) start.ArgumentList.Add($"--docker-email={email}");
        start.ArgumentList.Add("--dry-run=client");
        start.ArgumentList.Add("-o");
        start.ArgumentList.Add("json");

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        Assert.True(process.ExitCode == 0, $"kubectl exited {process.ExitCode}: {await stderr}");

        using var secret = JsonDocument.Parse(await stdout);
        Assert.Equal(ManagedSecret.SecretType, secret.RootElement.GetProperty("type").GetString());
        return secret.RootElement.GetProperty("data").GetProperty(ManagedSecret.DataKey).GetBytesFromBase64();
    }

    /// <summary>
    /// kubectl's own YAML for a manifest (JSON or YAML): a client-side no-op relabel that prints the object, so the
    /// bytes are sigs.k8s.io/yaml's. The object must carry the label app.kubernetes.io/managed-by=secret-rotator.
    /// </summary>
    public static async Task<string> ToYamlAsync(string kubectl, string manifestFile, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(kubectl)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
        };
        start.Environment["KUBECONFIG"] = Path.Combine(Path.GetTempPath(), "secret-rotator-no-kubeconfig");
        foreach (var arg in new[] { "label", "--local", "-f", manifestFile, $"{ManagedSecret.ManagedByLabel}={ManagedSecret.ManagedByValue}", "--overwrite", "-o", "yaml" })
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        Assert.True(process.ExitCode == 0, $"kubectl exited {process.ExitCode}: {await stderr}");
        return await stdout;
    }
}
