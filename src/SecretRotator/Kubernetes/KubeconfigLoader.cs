using System.Diagnostics;
using System.Runtime.CompilerServices;
using k8s;
using k8s.Exceptions;
using k8s.KubeConfigModels;
using SecretRotator.Configuration;

namespace SecretRotator.Kubernetes;

/// <summary>
/// Finds and reads the cluster connection: --kubeconfig, else KUBECONFIG, else in-cluster, else ~/.kube/config.
/// Every problem is one <see cref="KubeConfigException"/> line naming the file and what is wrong (never a stack
/// trace or a model type name): unreadable YAML, a context, cluster or user that is not defined, a failing exec
/// credential plugin (with the plugin's own stderr).
/// The file is mapped by hand into the client library's own model (<see cref="KubeconfigYaml"/>): the library's reader goes
/// through <c>KubernetesYaml</c>, whose set-up reflects over every API model type (hundreds of them) before reading a
/// ten-line file, which was most of the tool's start-up. The library still interprets the result (contexts, exec and
/// token auth, certificates relative to the file).
/// </summary>
public static class KubeconfigLoader
{
    // The client library reports exec-plugin stderr only through a static event: builds are serialised so each
    // one hears only its own plugin.
    private static readonly Lock ExecGate = new();

    public static KubernetesClientConfiguration Load(KubernetesConnectionOptions options, IEnvironmentVariables environment)
    {
        if (options.KubeconfigPath is { } explicitPath)
            return FromFile(explicitPath, File.Exists(explicitPath) ? null : $"--kubeconfig {explicitPath}: no such file", options.Context);
        if (environment.Get("KUBECONFIG") is { } variable)
        {
            // KUBECONFIG may list several files; the client library reads one, so take the first that exists.
            var first = variable.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).FirstOrDefault(File.Exists);
            return FromFile(first ?? variable, first is null ? $"KUBECONFIG={variable}: no such file" : null, options.Context);
        }
        if (options.Context is null && KubernetesClientConfiguration.IsInCluster())
            return KubernetesClientConfiguration.InClusterConfig();
        var home = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".kube", "config");
        if (!File.Exists(home))
            throw new KubeConfigException("no Kubernetes connection: not running in a cluster, KUBECONFIG unset, --kubeconfig not given and ~/.kube/config missing");
        return FromFile(home, null, options.Context);
    }

    /// <summary>One kubeconfig file, as <c>--kubeconfig</c> names it.</summary>
    public static KubernetesClientConfiguration Load(string path, string? context) =>
        FromFile(path, File.Exists(path) ? null : $"kubeconfig {path}: no such file", context);

    private static KubernetesClientConfiguration FromFile(string path, string? missing, string? contextName)
    {
        if (missing is not null) throw new KubeConfigException(missing);
        K8SConfiguration? kubeconfig;
        try
        {
            var text = File.ReadAllText(path);
            if (string.IsNullOrWhiteSpace(text)) throw new KubeConfigException($"kubeconfig {path}: the file is empty");
            kubeconfig = KubeconfigYaml.Read(text);
            if (kubeconfig is not null) kubeconfig.FileName = Path.GetFullPath(path);
        }
        catch (KubeConfigException)
        {
            throw;
        }
        catch (NullReferenceException)
        {
            // The library dereferences missing sections without checking.
            throw new KubeConfigException($"kubeconfig {path}: not a valid kubeconfig: a required section is missing or malformed");
        }
        catch (Exception e)
        {
            throw new KubeConfigException($"kubeconfig {path}: not a valid kubeconfig: {OneLine(e.Message)}");
        }
        if (kubeconfig is null) throw new KubeConfigException($"kubeconfig {path}: the file is empty");

        var name = contextName ?? kubeconfig.CurrentContext;
        if (string.IsNullOrEmpty(name)) throw new KubeConfigException($"kubeconfig {path}: no current-context set and --context not given");
        var contexts = kubeconfig.Contexts ?? [];
        var context = contexts.FirstOrDefault(c => string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase))
            ?? throw new KubeConfigException($"kubeconfig {path}: context '{name}' is not defined (contexts: {Names(contexts.Select(c => c.Name))})");
        var clusterName = context.ContextDetails?.Cluster;
        if (string.IsNullOrEmpty(clusterName)) throw new KubeConfigException($"kubeconfig {path}: context '{name}' names no cluster");
        if ((kubeconfig.Clusters ?? []).FirstOrDefault(c => string.Equals(c.Name, clusterName, StringComparison.OrdinalIgnoreCase)) is not { ClusterEndpoint.Server: { Length: > 0 } })
            throw new KubeConfigException($"kubeconfig {path}: context '{name}' refers to cluster '{clusterName}', which is not defined (or has no server)");
        var userName = context.ContextDetails?.User;
        var user = string.IsNullOrEmpty(userName) ? null
            : (kubeconfig.Users ?? []).FirstOrDefault(u => string.Equals(u.Name, userName, StringComparison.OrdinalIgnoreCase))
              ?? throw new KubeConfigException($"kubeconfig {path}: context '{name}' refers to user '{userName}', which is not defined");
        return Build(path, kubeconfig, name, user);
    }

    private static KubernetesClientConfiguration Build(string path, K8SConfiguration kubeconfig, string context, User? user)
    {
        // Exec plugins are run by ExecCredentialPlugin (the library's way needs reflection JSON and hides the plugin's exit
        // code); a plugin that answers with a client certificate falls back to the library where it can (JIT builds).
        if (user?.UserCredentials?.ExternalExecution is { } ownExec)
        {
            try
            {
                return BuildWithOwnExec(path, kubeconfig, context, user, ownExec);
            }
            catch (ExecCredentialCertificateOnlyException) when (RuntimeFeature.IsDynamicCodeSupported)
            {
            }
        }

        var stderr = new List<string>();
        void Capture(object? sender, DataReceivedEventArgs e)
        {
            if (!string.IsNullOrWhiteSpace(e.Data)) lock (stderr) stderr.Add(e.Data.Trim());
        }
        lock (ExecGate)
        {
            KubernetesClientConfiguration.ExecStdError += Capture;
            try
            {
                return KubernetesClientConfiguration.BuildConfigFromConfigObject(kubeconfig, context);
            }
            catch (Exception e) when (user?.UserCredentials?.ExternalExecution is { } exec)
            {
                string said;
                lock (stderr) said = stderr.Count > 0 ? string.Join(" / ", stderr.TakeLast(5)) : FirstLine(e.Message);
                throw new KubeConfigException($"kubeconfig {path}: user '{user.Name}': credential plugin '{exec.Command}' failed: {said}");
            }
            catch (Exception e)
            {
                throw new KubeConfigException($"kubeconfig {path}: context '{context}': {FirstLine(e.Message)}");
            }
            finally
            {
                KubernetesClientConfiguration.ExecStdError -= Capture;
            }
        }
    }

    private static KubernetesClientConfiguration BuildWithOwnExec(string path, K8SConfiguration kubeconfig, string context, User user, ExternalExecution exec)
    {
        var plugin = new ExecCredentialPlugin(exec, TimeProvider.System);
        string token;
        try
        {
            token = plugin.Refresh();
        }
        catch (KubeConfigException e) when (!(e is ExecCredentialCertificateOnlyException && RuntimeFeature.IsDynamicCodeSupported))
        {
            throw new KubeConfigException($"kubeconfig {path}: user '{user.Name}': credential plugin '{exec.Command}' failed: {e.Message}");
        }
        // The cluster, CA and TLS settings still come from the library, given the user as a token user; the token
        // provider below then answers every request (the client prefers it to the static token).
        var ownToken = user.UserCredentials.Token;
        user.UserCredentials.ExternalExecution = null;
        user.UserCredentials.Token = token;
        KubernetesClientConfiguration config;
        try
        {
            config = KubernetesClientConfiguration.BuildConfigFromConfigObject(kubeconfig, context);
        }
        catch (Exception e)
        {
            throw new KubeConfigException($"kubeconfig {path}: context '{context}': {FirstLine(e.Message)}");
        }
        finally
        {
            user.UserCredentials.ExternalExecution = exec;
            user.UserCredentials.Token = ownToken;
        }
        config.AccessToken = null;
        config.TokenProvider = plugin;
        return config;
    }

    private static string Names(IEnumerable<string> names) => names.Any() ? string.Join(", ", names) : "none";

    private static string OneLine(string message) => message.ReplaceLineEndings(" ").Trim();

    // Library messages may embed a whole exception (with stack trace) after the first line.
    private static string FirstLine(string message) => message.Split('\n', 2)[0].Trim();
}
