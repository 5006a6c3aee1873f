using SecretRotator.Kubernetes;
using SecretRotator.Registries.Acr;

namespace SecretRotator.CredentialProvider.TokenMode;

/// <summary>
/// The pod's service account token kubelet sent (KEP-4412) and the annotations it passed along. Only read, never
/// verified: the cloud's token exchange verifies it, and we must not send one that is already dead.
/// </summary>
public sealed class ServiceAccountToken
{
    private ServiceAccountToken(string token, IReadOnlyDictionary<string, string> annotations, DateTimeOffset expiresAt, string? subject)
    {
        Value = token;
        Annotations = annotations;
        ExpiresAt = expiresAt;
        Subject = subject;
    }

    /// <summary>The token itself: a credential. Pass it to the exchange only; never log it.</summary>
    public string Value { get; }
    public IReadOnlyDictionary<string, string> Annotations { get; }
    public DateTimeOffset ExpiresAt { get; }
    /// <summary>system:serviceaccount:NAMESPACE:NAME, for messages.</summary>
    public string? Subject { get; }

    public static ServiceAccountToken Read(string token, IReadOnlyDictionary<string, string>? annotations, DateTimeOffset now)
    {
        var expiresAt = JwtClaims.TryReadExpiry(token)
            ?? throw new CredentialProviderException("serviceAccountToken is not a JWT with an exp claim");
        var subject = JwtClaims.TryReadString(token, "sub");
        if (expiresAt <= now)
            throw new CredentialProviderException($"the service account token of {subject ?? "the pod"} expired at {expiresAt:O}; kubelet sends a fresh one on the next pull");
        return new ServiceAccountToken(token, annotations ?? new Dictionary<string, string>(), expiresAt, subject);
    }

    /// <summary>A service account annotation the exchange needs; kubelet passes only the keys tokenAttributes lists.</summary>
    public string Require(string annotation) =>
        Annotations.TryGetValue(annotation, out var value) && value.Length > 0 ? value
            : throw new CredentialProviderException($"the service account {Who} has no annotation {annotation} (list it under tokenAttributes.requiredServiceAccountAnnotationKeys so kubelet passes it)");

    public string? Optional(string annotation) => Annotations.TryGetValue(annotation, out var value) && value.Length > 0 ? value : null;

    private string Who => Subject?.StartsWith("system:serviceaccount:", StringComparison.Ordinal) == true ? Subject["system:serviceaccount:".Length..].Replace(':', '/') : "of the pod";

    public override string ToString() => $"service account token of {Subject ?? "?"}, expires {ExpiresAt:O}";
}

/// <summary>Exchanges the pod's token for a registry credential of one registry type (ecr, acr, gcr).</summary>
public interface ITokenModeSource
{
    /// <summary>The registry <c>type:</c> this source serves in token mode.</summary>
    string RegistryType { get; }

    Task<RegistryCredential> ExchangeAsync(Configuration.RegistryDefinition registry, ServiceAccountToken token, CancellationToken cancellationToken);
}
