using System.Text;
using System.Text.Json;

namespace SecretRotator.Registries.Ecr;

/// <summary>A decoded ECR authorization token: basic-auth user (always "AWS") and password.</summary>
public sealed record EcrToken(string Username, string Password, DateTimeOffset ExpiresAt, string? ProxyEndpoint)
{
    public override string ToString() => $"{Username} @ {ProxyEndpoint ?? "-"}, expires {ExpiresAt:O}";
}

/// <summary>Reads one <c>authorizationData</c> item of GetAuthorizationToken (private and public ECR share its fields).</summary>
public static class EcrTokenParser
{
    // Year 9999 in epoch seconds: anything later cannot be a DateTimeOffset.
    private const double MaxEpochSeconds = 253402300799;

    public static EcrToken Parse(JsonElement data, string registry)
    {
        if (data.ValueKind != JsonValueKind.Object)
            throw Bad(registry, "authorizationData is not an object");
        if (!data.TryGetProperty("authorizationToken", out var tokenElement) || tokenElement.ValueKind != JsonValueKind.String)
            throw Bad(registry, "authorizationToken is missing");
        var (username, password) = Decode(tokenElement.GetString() ?? "", registry);

        if (!data.TryGetProperty("expiresAt", out var expires) || expires.ValueKind != JsonValueKind.Number)
            throw Bad(registry, "expiresAt is missing or not a number");
        // Epoch seconds as a JSON number: integral, fractional (1.7e9, 1732640400.123) alike.
        if (!expires.TryGetDouble(out var seconds) || !double.IsFinite(seconds) || seconds <= 0 || seconds > MaxEpochSeconds)
            throw Bad(registry, $"expiresAt {expires.GetRawText()} is not a valid epoch time");
        var expiresAt = DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Round(seconds * 1000));

        string? proxy = null;
        if (data.TryGetProperty("proxyEndpoint", out var proxyElement) && proxyElement.ValueKind == JsonValueKind.String)
            proxy = proxyElement.GetString();
        return new EcrToken(username, password, expiresAt, proxy);
    }

    /// <summary>The auths key for a proxyEndpoint: the URL without its scheme ("https://1234.dkr.ecr..." to "1234.dkr.ecr...").</summary>
    public static string? ProxyHost(string? proxyEndpoint)
    {
        if (string.IsNullOrWhiteSpace(proxyEndpoint)) return null;
        if (Uri.TryCreate(proxyEndpoint, UriKind.Absolute, out var uri) && uri.Host.Length > 0) return uri.Authority;
        var bare = proxyEndpoint.Trim().TrimEnd('/');
        return bare.Length == 0 || bare.Contains('/', StringComparison.Ordinal) ? null : bare;
    }

    private static (string Username, string Password) Decode(string token, string registry)
    {
        var bytes = new byte[(token.Length * 3 / 4) + 3];
        if (!Convert.TryFromBase64String(token, bytes, out var length))
            throw Bad(registry, "authorizationToken is not base64");
        var text = Encoding.UTF8.GetString(bytes, 0, length);
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || colon == text.Length - 1)
            throw Bad(registry, "authorizationToken does not decode to user:password");
        return (text[..colon], text[(colon + 1)..]);
    }

    // Never include the token in the message: it is the credential.
    private static RegistryException Bad(string registry, string what) =>
        new("bad_response", $"unexpected GetAuthorizationToken answer: {what}");
}
