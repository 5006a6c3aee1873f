using k8s;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SecretRotator.Kubernetes;

namespace SecretRotator.Tests.Fakes.Kubernetes;

/// <summary>Clients for the fake that carry the product's retry handler, tuned so fault suites run in milliseconds.</summary>
public static class FakeKubeClients
{
    /// <summary>5 attempts, 1-5 ms backoff, 5 s per try.</summary>
    public static KubernetesRetryOptions FastRetries { get; } = new()
    {
        MaxAttempts = 5, BaseDelay = TimeSpan.FromMilliseconds(1), MaxDelay = TimeSpan.FromMilliseconds(5), AttemptTimeout = TimeSpan.FromSeconds(5),
    };

    public static IKubernetes CreateResilientClient(this FakeKubeApiServer fake, KubernetesRetryOptions? options = null, TimeProvider? time = null,
        ILogger? logger = null) =>
        fake.CreateClient(KubernetesResilience.CreateHandler(options ?? FastRetries, time ?? TimeProvider.System, logger ?? NullLogger.Instance));
}
