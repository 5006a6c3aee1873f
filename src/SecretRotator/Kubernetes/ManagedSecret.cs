namespace SecretRotator.Kubernetes;

/// <summary>The labels and annotations that mark what this tool owns and record what it wrote.</summary>
public static class ManagedSecret
{
    public const string SecretType = "kubernetes.io/dockerconfigjson";
    public const string DataKey = ".dockerconfigjson";

    public const string ManagedByLabel = "app.kubernetes.io/managed-by";
    public const string ManagedByValue = "secret-rotator";
    public const string ManagedSelector = $"{ManagedByLabel}={ManagedByValue}";

    private const string Prefix = "secret-rotator.io/";
    /// <summary>settings.instance of the installation that wrote the secret; several installations can share a cluster.</summary>
    public const string InstanceLabel = Prefix + "instance";
    /// <summary>Comma-separated registry names held in the secret, in config order.</summary>
    public const string RegistriesAnnotation = Prefix + "registries";
    /// <summary>JSON: registry name → {servers, expiresAt}; lets a failed registry keep its previous entries.</summary>
    public const string SourcesAnnotation = Prefix + "sources";
    public const string RotatedAtAnnotation = Prefix + "rotated-at";
    /// <summary>Earliest expiry of any token in the secret (RFC 3339), absent when nothing expires.</summary>
    public const string ExpiresAtAnnotation = Prefix + "expires-at";
    /// <summary>sha256 of the .dockerconfigjson bytes: detects edits made behind our back.</summary>
    public const string ContentHashAnnotation = Prefix + "content-hash";
    /// <summary>On service accounts: the imagePullSecrets entries this tool added (so prune removes only those).</summary>
    public const string AddedPullSecretsAnnotation = Prefix + "added-pull-secrets";
}
