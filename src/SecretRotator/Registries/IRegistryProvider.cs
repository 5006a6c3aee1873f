using SecretRotator.Configuration;

namespace SecretRotator.Registries;

/// <summary>One <c>auths</c> entry of a .dockerconfigjson.</summary>
public sealed record DockerAuthEntry(string Server, string Username, string Password, string? Email = null)
{
    // Records print their members; a credential must never reach a log through ToString.
    public override string ToString() => $"{Server} (user {Username})";
}

/// <summary>What one registry produced in one run: the entries it writes and when they stop working.</summary>
public sealed record RegistryCredential(IReadOnlyList<DockerAuthEntry> Entries, DateTimeOffset? ExpiresAt)
{
    public override string ToString() => $"{Entries.Count} entries, expires {ExpiresAt?.ToString("O") ?? "never"}";
}

/// <summary>
/// A registry type (static, ecr, acr, gcr, ...). Each lives in its own folder; adding one means
/// implementing this and registering it in <c>AddSecretRotator()</c>, nothing else.
/// </summary>
public interface IRegistryProvider
{
    /// <summary>The <c>type:</c> value in the config.</summary>
    string Type { get; }

    /// <summary>
    /// Reads the type-specific fields of one registry entry (name and type are already consumed).
    /// Report problems through <paramref name="map"/>; unknown keys are rejected by the caller afterwards.
    /// Returns the options record later handed back in <see cref="RegistryDefinition.Options"/>.
    /// </summary>
    object ParseOptions(ConfigMap map);

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
