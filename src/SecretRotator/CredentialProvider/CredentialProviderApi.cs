using System.Text.Json.Serialization;

namespace SecretRotator.CredentialProvider;

/// <summary>
/// kubelet's credentialprovider.kubelet.k8s.io/v1 objects, as the API reference defines them. kubelet decodes the
/// response strictly (unknown fields fail), so these carry exactly the documented fields.
/// </summary>
public static class CredentialProviderApi
{
    public const string ApiVersion = "credentialprovider.kubelet.k8s.io/v1";
    public const string RequestKind = "CredentialProviderRequest";
    public const string ResponseKind = "CredentialProviderResponse";

    /// <summary>The only cacheKeyType values kubelet accepts; any other value makes it drop the response.</summary>
    public const string Image = "Image";
    public const string Registry = "Registry";
    public const string Global = "Global";
}

/// <summary>What kubelet writes on stdin: the image, and in token mode (KEP-4412) the pod's token and service account annotations.</summary>
public sealed record CredentialProviderRequest
{
    [JsonPropertyName("apiVersion")] public string? ApiVersion { get; init; }
    [JsonPropertyName("kind")] public string? Kind { get; init; }
    [JsonPropertyName("image")] public string? Image { get; init; }
    [JsonPropertyName("serviceAccountToken")] public string? ServiceAccountToken { get; init; }
    [JsonPropertyName("serviceAccountAnnotations")] public Dictionary<string, string>? ServiceAccountAnnotations { get; init; }

    // Records print their members; the token is a credential.
    public override string ToString() => $"{Kind} for {Image} (token: {(string.IsNullOrEmpty(ServiceAccountToken) ? "no" : "yes")})";
}

/// <summary>What we write on stdout.</summary>
public sealed record CredentialProviderResponse
{
    [JsonPropertyName("apiVersion")] public string ApiVersion { get; init; } = CredentialProviderApi.ApiVersion;
    [JsonPropertyName("kind")] public string Kind { get; init; } = CredentialProviderApi.ResponseKind;
    [JsonPropertyName("cacheKeyType")] public string? CacheKeyType { get; init; }
    /// <summary>A Go duration ("5m30s"); null: kubelet uses the config's defaultCacheDuration; "0s": not cached.</summary>
    [JsonPropertyName("cacheDuration")][JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? CacheDuration { get; init; }
    [JsonPropertyName("auth")] public Dictionary<string, CredentialProviderAuth> Auth { get; init; } = [];

    public override string ToString() => $"{CacheKeyType} for {CacheDuration ?? "default"}: {string.Join(", ", Auth.Keys)}";
}

/// <summary>One entry of the response's auth map.</summary>
public sealed record CredentialProviderAuth(
    [property: JsonPropertyName("username")] string Username,
    [property: JsonPropertyName("password")] string Password)
{
    public override string ToString() => $"user {Username}";
}

/// <summary>Source-generated (de)serialisation: the shipped binary is Native AOT, so no reflection.</summary>
[JsonSourceGenerationOptions(WriteIndented = false)]
[JsonSerializable(typeof(CredentialProviderRequest))]
[JsonSerializable(typeof(CredentialProviderResponse))]
internal sealed partial class CredentialProviderJson : JsonSerializerContext;
