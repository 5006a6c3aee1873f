using System.Buffers.Text;
using System.Text.Json;

namespace SecretRotator.Registries.Acr;

/// <summary>
/// Reads claims from a JWT payload without validating the signature: the token came straight from the issuer
/// over TLS, and we only need to know when it stops working (exp) and which tenant issued it (tid).
/// </summary>
internal static class JwtClaims
{
    /// <summary>The payload as JSON, or null when the value is not a JWT (three base64url parts).</summary>
    public static JsonElement? TryReadPayload(string token)
    {
        var parts = token.Split('.');
        if (parts.Length != 3 || parts[1].Length == 0) return null;
        try
        {
            var bytes = Base64Url.DecodeFromChars(parts[1]);
            using var doc = JsonDocument.Parse(bytes);
            return doc.RootElement.ValueKind == JsonValueKind.Object ? doc.RootElement.Clone() : null;
        }
        catch (Exception ex) when (ex is FormatException or JsonException)
        {
            return null;
        }
    }

    /// <summary>The exp claim (NumericDate, seconds since the epoch), or null when absent or not a number.</summary>
    public static DateTimeOffset? TryReadExpiry(string token)
    {
        if (TryReadPayload(token) is not { } payload) return null;
        if (!payload.TryGetProperty("exp", out var exp) || exp.ValueKind != JsonValueKind.Number) return null;
        if (!exp.TryGetInt64(out var seconds))
        {
            // NumericDate may carry a fraction; the whole second is what a registry compares against.
            if (!exp.TryGetDouble(out var d) || double.IsNaN(d)) return null;
            seconds = (long)Math.Floor(d);
        }
        if (seconds <= 0 || seconds > DateTimeOffset.MaxValue.ToUnixTimeSeconds()) return null;
        return DateTimeOffset.FromUnixTimeSeconds(seconds);
    }

    public static string? TryReadString(string token, string claim) =>
        TryReadPayload(token) is { } payload && payload.TryGetProperty(claim, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;
}
