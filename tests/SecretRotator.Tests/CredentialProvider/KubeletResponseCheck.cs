using System.Text.Json;
using SecretRotator.CredentialProvider;

namespace SecretRotator.Tests.CredentialProvider;

/// <summary>
/// What kubelet does with a plugin's stdout before it uses a credential (pkg/credentialprovider/plugin/plugin.go:
/// ExecPlugin, decodeResponse, provide), as a check: null when kubelet would use the response, else why it would not.
/// Tests run our own output through it, so a response kubelet would drop fails here first.
/// </summary>
public static class KubeletResponseCheck
{
    private static readonly HashSet<string> TopLevel = new(StringComparer.Ordinal) { "apiVersion", "kind", "cacheKeyType", "cacheDuration", "auth" };
    private static readonly HashSet<string> AuthFields = new(StringComparer.Ordinal) { "username", "password" };

    /// <param name="serviceAccountToken">The token of a token-mode request; its echo as a password is refused (cacheType ServiceAccount).</param>
    public static string? Problem(string stdout, string expectedApiVersion = CredentialProviderApi.ApiVersion, string? serviceAccountToken = null)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(stdout);
        }
        catch (JsonException e)
        {
            return $"error reading GVK from response: {e.Message}";
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return "error reading GVK from response: not an object";
            var apiVersion = String(root, "apiVersion");
            if (apiVersion != expectedApiVersion)
                return $"apiVersion from credential plugin response did not match expected apiVersion:{expectedApiVersion}, actual apiVersion:{apiVersion}";

            // Strict decoding: unknown and duplicate fields fail, and so do wrong types.
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in root.EnumerateObject())
            {
                if (!TopLevel.Contains(property.Name)) return $"error decoding response: unknown field \"{property.Name}\"";
                if (!seen.Add(property.Name)) return $"error decoding response: duplicate field \"{property.Name}\"";
            }
            if (String(root, "kind") != CredentialProviderApi.ResponseKind) return $"unexpected Kind: \"{String(root, "kind")}\"";
            if (root.TryGetProperty("cacheDuration", out var duration) && duration.ValueKind != JsonValueKind.Null
                && (duration.ValueKind != JsonValueKind.String || GoDuration.TryParse(duration.GetString()) is null))
                return $"error decoding response: cacheDuration {duration.GetRawText()} is not a duration";

            var passwords = new List<string>();
            if (root.TryGetProperty("auth", out var auth) && auth.ValueKind != JsonValueKind.Null)
            {
                if (auth.ValueKind != JsonValueKind.Object) return "error decoding response: auth is not a map";
                foreach (var entry in auth.EnumerateObject())
                {
                    if (entry.Value.ValueKind != JsonValueKind.Object) return $"error decoding response: auth[{entry.Name}] is not an object";
                    foreach (var field in entry.Value.EnumerateObject())
                    {
                        if (!AuthFields.Contains(field.Name)) return $"error decoding response: unknown field \"auth.{entry.Name}.{field.Name}\"";
                        if (field.Value.ValueKind != JsonValueKind.String) return $"error decoding response: auth[{entry.Name}].{field.Name} is not a string";
                    }
                    passwords.Add(String(entry.Value, "password") ?? "");
                }
            }

            if (!string.IsNullOrEmpty(serviceAccountToken) && passwords.Contains(serviceAccountToken))
                return "credential provider plugin returned the service account token as the password, which is not allowed when service account cache type is not set to 'Token'";
            var cacheKeyType = String(root, "cacheKeyType");
            if (cacheKeyType is not (CredentialProviderApi.Image or CredentialProviderApi.Registry or CredentialProviderApi.Global))
                return $"credential provider plugin did not return a valid cacheKeyType: \"{cacheKeyType}\"";
            return null;
        }
    }

    private static string? String(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
