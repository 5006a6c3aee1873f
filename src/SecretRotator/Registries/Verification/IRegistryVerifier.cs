using SecretRotator.Kubernetes;

namespace SecretRotator.Registries.Verification;

/// <summary>Proves a freshly fetched credential works by logging in to the registry's <c>/v2/</c> endpoint.</summary>
public interface IRegistryVerifier
{
    /// <summary>
    /// Returns when the registry accepts <paramref name="entry"/>. Throws <see cref="RegistryException"/> with reason
    /// <see cref="RegistryVerifier.FailedReason"/> when the registry rejects it (or is not a v2 registry), and
    /// <see cref="RegistryVerifier.UnreachableReason"/> when the registry cannot be asked (network, timeout, 5xx).
    /// </summary>
    Task VerifyAsync(DockerAuthEntry entry, CancellationToken cancellationToken);
}
