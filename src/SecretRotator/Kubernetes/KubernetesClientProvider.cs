using k8s;
using SecretRotator.Configuration;

namespace SecretRotator.Kubernetes;

/// <summary>Where the cluster connection comes from: --kubeconfig / KUBECONFIG / --context, else in-cluster.</summary>
public sealed record KubernetesConnectionOptions(string? KubeconfigPath = null, string? Context = null);

/// <summary>Creates the client on first use, so offline commands (render, validate) never need a cluster.</summary>
public interface IKubernetesClientProvider
{
    IKubernetes Client { get; }
}

public sealed class KubernetesClientProvider(KubernetesConnectionOptions options, IEnumerable<DelegatingHandler> handlers, IEnvironmentVariables environment)
    : IKubernetesClientProvider, IDisposable
{
    private readonly Lazy<IKubernetes> _client = new(() => Create(options, handlers, environment), LazyThreadSafetyMode.ExecutionAndPublication);

    public IKubernetes Client => _client.Value;

    private static Lists.LeanListKubernetes Create(KubernetesConnectionOptions options, IEnumerable<DelegatingHandler> handlers, IEnvironmentVariables environment)
    {
        var config = KubeconfigLoader.Load(options, environment);
        // Each try is bounded by the retry handler and the run by settings.timeout; the client's own 100 s default
        // would otherwise cut the retry budget short.
        config.HttpClientTimeout = Timeout.InfiniteTimeSpan;
        return new Lists.LeanListKubernetes(config, handlers.ToArray());
    }

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
