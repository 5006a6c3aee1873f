using k8s.Models;
using SecretRotator.Configuration;
using SecretRotator.Kubernetes;
using SecretRotator.Registries;

namespace SecretRotator.Rotation;

/// <summary>
/// What reconciling one (secret, namespace) needs besides the pair itself: the credentials at hand, the managed
/// secrets already listed, the settings, dry-run and the cancellation of the pass. A run builds one per pass; a
/// daemon builds one per event from its caches.
/// </summary>
public sealed record RunContext
{
    public required RotatorSettings Settings { get; init; }

    /// <summary>Fresh credentials by registry name. A registry absent here keeps the entries stored in the secret.</summary>
    public required IReadOnlyDictionary<string, RegistryCredential> Credentials { get; init; }

    /// <summary>Why a registry has no credential (for the failure message); may be empty.</summary>
    public IReadOnlyDictionary<string, RegistryResult> RegistryResults { get; init; } = new Dictionary<string, RegistryResult>();

    /// <summary>Managed secrets as listed (or cached), by (namespace, name). Shared: never mutated. Absent means "not listed":
    /// the writer then creates and, on 409, reads.</summary>
    public IReadOnlyDictionary<(string Namespace, string Name), V1Secret> Listed { get; init; } = new Dictionary<(string, string), V1Secret>();

    /// <summary>Service accounts already listed; updated with what this pass writes. Empty: read on demand.</summary>
    public ServiceAccountIndex Accounts { get; init; } = new();

    public bool DryRun { get; init; }

    /// <summary>--force: every secret takes the fresh credentials, due or not.</summary>
    public bool Force { get; init; }

    /// <summary>See <see cref="RunOptions.LookAhead"/>: zero for `run`, the resync interval in the daemon.</summary>
    public TimeSpan LookAhead { get; init; }

    /// <summary>A stored token expiring within this is replaced.</summary>
    public TimeSpan DueWithin => Settings.RefreshBefore + LookAhead;

    /// <summary>When a namespace was created (null: unknown): a service account still missing in a namespace younger than
    /// settings.serviceAccountGracePeriod is pending, not failed. Null: every missing account is a failure.</summary>
    public Func<string, CancellationToken, ValueTask<DateTimeOffset?>>? NamespaceCreated { get; init; }

    /// <summary>Written to the secret's rotated-at annotation.</summary>
    public required DateTimeOffset Now { get; init; }

    /// <summary>Bounds every API call (the run's deadline); an in-flight write is not cut by shutdown alone.</summary>
    public CancellationToken CancellationToken { get; init; }
}
