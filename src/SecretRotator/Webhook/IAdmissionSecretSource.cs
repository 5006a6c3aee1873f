using k8s.Models;
using SecretRotator.Configuration;

namespace SecretRotator.Webhook;

/// <summary>
/// What the webhook needs from the rotation side: the namespace, what a target's secret holds, and the secret itself in
/// the namespace. The daemon's implementation (<see cref="DaemonAdmissionSource"/>) serves the leader from its watch and
/// credential caches and a standby from the API; tests use their own.
/// </summary>
public interface IAdmissionSecretSource
{
    /// <summary>The namespace (its labels decide selection); null when it does not exist.</summary>
    ValueTask<V1Namespace?> NamespaceAsync(string name, CancellationToken cancellationToken);

    /// <summary>The <c>auths</c> keys the target's secret holds, or would hold if created now; empty when unknown.</summary>
    ValueTask<IReadOnlyList<string>> ServersAsync(SecretTarget target, CancellationToken cancellationToken);

    /// <summary>Makes sure the target's secret exists in <paramref name="ns"/>: nothing to do when it does, a create
    /// otherwise (a 409 from another replica counts as success). <paramref name="dryRun"/>: creates nothing.</summary>
    ValueTask<Ensured> EnsureAsync(SecretTarget target, string ns, bool dryRun, CancellationToken cancellationToken);
}

public enum EnsuredState
{
    Present,
    Created,
    /// <summary>Dry run: the secret is missing and a real request would create it.</summary>
    WouldCreate,
    Failed,
}

/// <param name="Error">Why it failed: an API status or "no credential", never secret data.</param>
public sealed record Ensured(EnsuredState State, string? Error = null)
{
    public static readonly Ensured Present = new(EnsuredState.Present);
    public static readonly Ensured Created = new(EnsuredState.Created);
    public static readonly Ensured WouldCreate = new(EnsuredState.WouldCreate);

    public static Ensured Failed(string error) => new(EnsuredState.Failed, error);
}
