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
/// A kubeconfig <c>exec</c> credential plugin (aws eks get-token, gke-gcloud-auth-plugin, kubelogin) run by us, in every
/// build: the client library writes the plugin's <c>KUBERNETES_EXEC_INFO</c> with reflection System.Text.Json, which a
/// native build does not have, and reports a failing plugin as a JSON deserialization error with a runtime type name.
/// Same contract as the library's: the plugin's stdout is an ExecCredential of the kubeconfig's apiVersion; its token is
/// reused until its expirationTimestamp, then the plugin runs again. A failure says what kubectl says: the plugin's exit
/// code and its stderr. Client certificates from a plugin are not supported here (<see cref="ExecCredentialCertificateOnlyException"/>).
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
            {
                try
                {
                    (_token, _expires) = await Task.Run(Execute, cancellationToken);
                }
                catch (KubeConfigException e)
                {
                    // A refresh mid-run: name the plugin, as the start-up failure does.
                    throw new KubeConfigException($"credential plugin '{exec.Command}' failed: {e.Message}", e);
                }
            }
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
        if (process.ExitCode != 0)
        {
            string said;
            lock (stderr) said = stderr.Count > 0 ? ": " + Trim(string.Join(" / ", stderr.TakeLast(5))) : "";
            throw new KubeConfigException($"exit code {process.ExitCode}{said}");
        }

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
            throw response.Status?.ClientCertificateData is { Length: > 0 }
                ? new ExecCredentialCertificateOnlyException("its output has a client certificate and no status.token (client certificates from a plugin are not supported by this build)")
                : new KubeConfigException("its output has no status.token");
        return (token, response.Status.ExpirationTimestamp is { } at ? new DateTimeOffset(DateTime.SpecifyKind(at, DateTimeKind.Utc)) : null);
    }

    /// <summary>A plugin may print a whole help text; an error line stays readable.</summary>
    private static string Trim(string said) => said.Length <= MaxSaid ? said : string.Concat(said.AsSpan(0, MaxSaid), "...");

    private const int MaxSaid = 500;

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

/// <summary>The plugin answered with a client certificate instead of a token: only the library's own exec path (JIT builds) takes those.</summary>
public sealed class ExecCredentialCertificateOnlyException : KubeConfigException
{
    public ExecCredentialCertificateOnlyException()
    {
    }

    public ExecCredentialCertificateOnlyException(string message)
        : base(message)
    {
    }

    public ExecCredentialCertificateOnlyException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
