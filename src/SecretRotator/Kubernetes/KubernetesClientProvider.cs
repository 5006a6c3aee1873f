using k8s;
using k8s.Exceptions;

namespace SecretRotator.Kubernetes;

/// <summary>Where the cluster connection comes from: --kubeconfig / KUBECONFIG / --context, else in-cluster.</summary>
public sealed record KubernetesConnectionOptions(string? KubeconfigPath = null, string? Context = null);

/// <summary>Creates the client on first use, so offline commands (render, validate) never need a cluster.</summary>
public interface IKubernetesClientProvider
{
    IKubernetes Client { get; }
}

public sealed class KubernetesClientProvider(KubernetesConnectionOptions options, IEnumerable<DelegatingHandler> handlers) : IKubernetesClientProvider, IDisposable
{
    private readonly Lazy<IKubernetes> _client = new(() => Create(options, handlers), LazyThreadSafetyMode.ExecutionAndPublication);

    public IKubernetes Client => _client.Value;

    private static k8s.Kubernetes Create(KubernetesConnectionOptions options, IEnumerable<DelegatingHandler> handlers)
    {
        KubernetesClientConfiguration config;
        var kubeconfig = options.KubeconfigPath ?? FirstKubeconfig(Environment.GetEnvironmentVariable("KUBECONFIG"));
        if (kubeconfig is not null)
        {
            config = KubeconfigLoader.Load(kubeconfig, options.Context);
        }
        else if (options.Context is not null)
        {
            config = KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig, options.Context);
        }
        else if (KubernetesClientConfiguration.IsInCluster())
        {
            config = KubernetesClientConfiguration.InClusterConfig();
        }
        else
        {
            var home = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".kube", "config");
            if (!File.Exists(home))
                throw new KubeConfigException("no Kubernetes connection: not running in a cluster, KUBECONFIG unset, --kubeconfig not given and ~/.kube/config missing");
            config = KubeconfigLoader.Load(home, null);
        }
        // Each try is bounded by the retry handler and the run by settings.timeout; the client's own 100 s default
        // would otherwise cut the retry budget short.
        config.HttpClientTimeout = Timeout.InfiniteTimeSpan;
        return new k8s.Kubernetes(config, handlers.ToArray());
    }

    // KUBECONFIG may list several files; the client library reads one, so take the first that exists.
    private static string? FirstKubeconfig(string? value) =>
        value?.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).FirstOrDefault(File.Exists);

    public void Dispose()
    {
        if (_client.IsValueCreated) _client.Value.Dispose();
    }
}

/// <summary>A provider around an existing client (tests, and callers that already hold one).</summary>
public sealed class FixedKubernetesClientProvider(IKubernetes client) : IKubernetesClientProvider
{
    public IKubernetes Client => client;
}
