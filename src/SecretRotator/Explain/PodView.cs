namespace SecretRotator.Explain;

public enum PullSecretState
{
    /// <summary>Exists with a pull-secret type and readable data: kubelet adds its entries to the keyring.</summary>
    Ok,
    /// <summary>Named by the service account but absent in the namespace: kubelet skips it.</summary>
    Missing,
    /// <summary>Not kubernetes.io/dockerconfigjson or kubernetes.io/dockercfg (or without its data key): kubelet skips it.</summary>
    WrongType,
    /// <summary>Its JSON cannot be read: kubelet fails every pull of the pod.</summary>
    Malformed,
}

/// <summary>One <c>auths</c> key of a pull secret, with the registry and expiry our annotations recorded for it.</summary>
/// <param name="ExpiryKnown">False for a registry explain could not fetch offline (its configured server is shown instead).</param>
public sealed record PullSecretEntry(string Server, string? Registry, DateTimeOffset? ExpiresAt, bool ExpiryKnown = true);

/// <summary>A secret as kubelet would see it for a pod (only the keys, never a credential).</summary>
public sealed record PullSecretView(string Name, PullSecretState State, string? Type, bool Managed, IReadOnlyList<PullSecretEntry> Entries, string? Problem = null);

/// <summary>
/// What a pod using <see cref="ServiceAccount"/> in <see cref="Namespace"/> gets: the pull secrets its service
/// account references (in order), and managed secrets in the namespace it does not reference.
/// </summary>
/// <param name="Source">"cluster" (read from the API server) or "config" (what render would write).</param>
public sealed record PodView(
    string Namespace,
    string ServiceAccount,
    string Source,
    bool ServiceAccountFound,
    IReadOnlyList<PullSecretView> Referenced,
    IReadOnlyList<PullSecretView> Unreferenced,
    IReadOnlyList<string> Notes);
