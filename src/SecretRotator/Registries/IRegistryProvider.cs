using SecretRotator.Configuration;
using SecretRotator.Kubernetes;

namespace SecretRotator.Registries;

/// <summary>
/// A registry type (static, ecr, acr, gcr, ...). Each lives in its own folder with its own <c>AddXxxRegistry()</c>;
/// adding one means deriving from <see cref="RegistryProvider{TOptions}"/> and calling that in <c>AddSecretRotator()</c>.
/// The config loader sees only the <see cref="IRegistryOptionsParser"/> half.
/// </summary>
public interface IRegistryProvider : IRegistryOptionsParser
{
    /// <summary>
    /// The <c>auths</c> keys this registry will write, as far as its config tells (validate and explain check them
    /// offline); empty when only a fetch can tell (ECR without accounts, a mirror's source).
    /// </summary>
    IReadOnlyList<string> ConfiguredServers(RegistryDefinition registry) => [];

    /// <summary>Fetches a fresh credential. Throws <see cref="RegistryException"/> with a reason on failure.</summary>
    Task<RegistryCredential> GetCredentialAsync(RegistryDefinition registry, CancellationToken cancellationToken);
}

/// <summary>A credential fetch that failed; <see cref="Reason"/> is a short metric-safe word, the message says why (never a secret).</summary>
public sealed class RegistryException(string reason, string message, Exception? inner = null) : Exception(message, inner)
{
    public string Reason { get; } = reason;
}
