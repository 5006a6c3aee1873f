using System.Text;
using SecretRotator.Kubernetes;
using SecretRotator.Tests.Fakes.Kubernetes;
using SecretRotator.Tests.TestSupport;

namespace SecretRotator.Tests.Published.Identity;

/// <summary>
/// One fake API server and a temp folder for a class of identity cases, each of which runs the shipped binary
/// (<see cref="RotatorProcess"/>) once with `run` and the environment a pod would have. The child starts from the
/// test process's environment, which other tests change while they run: every credential variable any cloud SDK
/// reads is cleared first, so a case sees only what it sets.
/// </summary>
public sealed class ProcessRig : IAsyncDisposable
{
    private static readonly string[] CredentialVariables =
    [
        "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ROLE_ARN",
        "AWS_ROLE_SESSION_NAME", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "AWS_REGION", "AWS_DEFAULT_REGION",
        "AWS_STS_REGIONAL_ENDPOINTS", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL_ECR", "AWS_ENDPOINT_URL_ECR_PUBLIC",
        "AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_FEDERATED_TOKEN_FILE", "AZURE_AUTHORITY_HOST", "AZURE_CLIENT_SECRET",
        "AZURE_CLIENT_CERTIFICATE_PATH", "AZURE_CLIENT_CERTIFICATE_PASSWORD", "AZURE_CLIENT_SEND_CERTIFICATE_CHAIN", "AZURE_USERNAME", "IDENTITY_ENDPOINT", "IDENTITY_HEADER", "MSI_ENDPOINT", "MSI_SECRET",
        "IDENTITY_SERVER_THUMBPRINT", "IMDS_ENDPOINT", "GOOGLE_APPLICATION_CREDENTIALS", "SSL_CERT_FILE", "SSL_CERT_DIR",
    ];

    private readonly DirectoryInfo _dir = System.IO.Directory.CreateTempSubdirectory("secret-rotator-identity-");
    private int _files;

    private ProcessRig(FakeKubeApiServer api) => Api = api;

    public FakeKubeApiServer Api { get; }
    public string Directory => _dir.FullName;
    public string Kubeconfig { get; private set; } = "";

    public static async Task<ProcessRig> StartAsync(params string[] namespaces)
    {
        var rig = new ProcessRig(await FakeKubeApiServer.StartAsync(cancellationToken: TestContext.Current.CancellationToken));
        foreach (var ns in namespaces) rig.Api.AddNamespace(ns);
        rig.Kubeconfig = rig.WriteFile("kubeconfig", $$$"""
            apiVersion: v1
            kind: Config
            clusters: [{name: fake, cluster: {server: "{{{rig.Api.Url.ToString().TrimEnd('/')}}}"}}]
            users: [{name: fake, user: {token: identity-matrix}}]
            contexts: [{name: fake, context: {cluster: fake, user: fake}}]
            current-context: fake
            """);
        return rig;
    }

    public string WriteFile(string name, string content)
    {
        var path = Path.Combine(_dir.FullName, name);
        File.WriteAllText(path, content);
        return path;
    }

    /// <summary>Writes <paramref name="configYaml"/> and runs `run` with it: the credential variables cleared, then <paramref name="environment"/>.</summary>
    public Task<CliResult> RunAsync(string configYaml, IReadOnlyDictionary<string, string?> environment)
    {
        var config = WriteFile($"config-{Interlocked.Increment(ref _files)}.yaml", configYaml);
        var env = CredentialVariables.ToDictionary(v => v, _ => (string?)null, StringComparer.Ordinal);
        // No shared files or instance metadata: only the variables a case sets can give an identity.
        env["AWS_CONFIG_FILE"] = Path.Combine(_dir.FullName, "no-aws-config");
        env["AWS_SHARED_CREDENTIALS_FILE"] = Path.Combine(_dir.FullName, "no-aws-credentials");
        env["AWS_EC2_METADATA_DISABLED"] = "true";
        env["CLOUDSDK_CONFIG"] = Path.Combine(_dir.FullName, "no-gcloud");
        foreach (var (name, value) in environment) env[name] = value;
        return RotatorProcess.RunAsync(env, "run", "--config", config, "--kubeconfig", Kubeconfig);
    }

    /// <summary>The written secret's .dockerconfigjson as text, or a failure naming the run.</summary>
    public string DockerConfigJson(string ns, string secret, CliResult run)
    {
        var written = Api.GetSecret(ns, secret);
        Assert.True(written is not null, $"no secret {ns}/{secret}\n{run}");
        Assert.Equal(ManagedSecret.SecretType, written.Type);
        return Encoding.UTF8.GetString(written.Data[ManagedSecret.DataKey]);
    }

    /// <summary>The exact bytes `kubectl create secret docker-registry` writes: entries by server in ordinal order.</summary>
    public static string Expected(params (string Server, string Username, string Password)[] entries) =>
        "{\"auths\":{" + string.Join(",", entries.OrderBy(e => e.Server, StringComparer.Ordinal).Select(e =>
            $"\"{e.Server}\":{{\"username\":\"{e.Username}\",\"password\":\"{e.Password}\",\"auth\":\"{Convert.ToBase64String(Encoding.UTF8.GetBytes($"{e.Username}:{e.Password}"))}\"}}")) + "}}";

    /// <summary>The line `run` prints for a failed registry.</summary>
    public static string FailureLine(CliResult run, string registry) =>
        run.Stdout.Split('\n').FirstOrDefault(l => l.StartsWith($"registry {registry}: FAILED", StringComparison.Ordinal))
        ?? throw new Xunit.Sdk.XunitException($"no failure line for registry {registry}\n{run}");

    public async ValueTask DisposeAsync()
    {
        await Api.DisposeAsync();
        _dir.Delete(recursive: true);
    }
}
