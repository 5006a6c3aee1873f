using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using k8s.Authentication;
using k8s.Exceptions;
using k8s.KubeConfigModels;

namespace SecretRotator.Kubernetes;

/// <summary>
/// A kubeconfig <c>exec</c> credential plugin (aws eks get-token, gke-gcloud-auth-plugin, kubelogin) run by us, for the
/// Native AOT binary: the client library writes the plugin's <c>KUBERNETES_EXEC_INFO</c> with reflection
/// System.Text.Json, which a native build does not have. Same contract as the library's: the plugin's stdout is an
/// ExecCredential of the kubeconfig's apiVersion; its token is reused until its expirationTimestamp, then the plugin
/// runs again. Client certificates from a plugin are not supported here (the library's path, in JIT builds, has them).
/// </summary>
public sealed class ExecCredentialPlugin(ExternalExecution exec, TimeProvider time) : ITokenProvider, IDisposable
{
    /// <summary>Ask again a little before the token's end, as client-go does not: a request must not race the expiry.</summary>
    private static readonly TimeSpan EarlyRefresh = TimeSpan.FromSeconds(30);

    private readonly SemaphoreSlim _gate = new(1, 1);
    private string? _token;
    private DateTimeOffset? _expires;

    /// <summary>Runs the plugin now (at start-up, so a broken plugin fails the command at once, with its stderr).</summary>
    public string Refresh()
    {
        var (token, expires) = Execute();
        (_token, _expires) = (token, expires);
        return token;
    }

    public async Task<AuthenticationHeaderValue> GetAuthenticationHeaderAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_token is null || (_expires is { } end && time.GetUtcNow() >= end - EarlyRefresh))
                (_token, _expires) = await Task.Run(Execute, cancellationToken);
            return new AuthenticationHeaderValue("Bearer", _token);
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose() => _gate.Dispose();

    private (string Token, DateTimeOffset? Expires) Execute()
    {
        using var process = new Process { StartInfo = StartInfo(exec) };
        var stdout = new StringBuilder();
        var stderr = new List<string>();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (stdout) stdout.Append(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (!string.IsNullOrWhiteSpace(e.Data)) lock (stderr) stderr.Add(e.Data.Trim()); };
        try
        {
            process.Start();
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            throw new KubeConfigException($"cannot start: {e.Message}");
        }
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(k8s.KubernetesClientConfiguration.ExecTimeout))
        {
            process.Kill(entireProcessTree: true);
            throw new KubeConfigException($"no answer within {k8s.KubernetesClientConfiguration.ExecTimeout.TotalSeconds:0}s");
        }
        process.WaitForExit(); // flush the output events
        string Said() { lock (stderr) return stderr.Count > 0 ? string.Join(" / ", stderr.TakeLast(5)) : $"exit code {process.ExitCode}"; }
        if (process.ExitCode != 0) throw new KubeConfigException(Said());

        ExecCredentialResponse? response;
        try
        {
            response = JsonSerializer.Deserialize(stdout.ToString(), (JsonTypeInfo<ExecCredentialResponse>)LibraryJson.Default.GetTypeInfo(typeof(ExecCredentialResponse))!);
        }
        catch (JsonException e)
        {
            throw new KubeConfigException($"its output is not an ExecCredential: {e.Message}");
        }
        if (response is null || response.ApiVersion != exec.ApiVersion)
            throw new KubeConfigException($"its output has apiVersion '{response?.ApiVersion}', not the kubeconfig's '{exec.ApiVersion}'");
        if (response.Status?.Token is not { Length: > 0 } token)
            throw new KubeConfigException("its output has no status.token (client certificates from a plugin are not supported by this build)");
        return (token, response.Status.ExpirationTimestamp is { } at ? new DateTimeOffset(DateTime.SpecifyKind(at, DateTimeKind.Utc)) : null);
    }

    private static ProcessStartInfo StartInfo(ExternalExecution exec)
    {
        var start = new ProcessStartInfo(exec.Command)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            CreateNoWindow = true,
        };
        foreach (var argument in exec.Arguments ?? []) start.ArgumentList.Add(argument);
        // Written without reflection; the same object the library sends.
        var info = new JsonObject
        {
            ["apiVersion"] = exec.ApiVersion,
            ["kind"] = "ExecCredentials",
            ["spec"] = new JsonObject { ["interactive"] = false },
        };
        start.Environment["KUBERNETES_EXEC_INFO"] = info.ToJsonString();
        foreach (var variable in exec.EnvironmentVariables ?? [])
        {
            if (variable.TryGetValue("name", out var name) && variable.TryGetValue("value", out var value)) start.Environment[name] = value;
        }
        return start;
    }
}
