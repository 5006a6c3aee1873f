using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text.Json;

namespace SecretRotator.Tests.Fakes.Azure;

/// <summary>JWTs as the fakes issue them: header.payload.signature, base64url, with real claims.</summary>
public static class TestJwt
{
    public static string Create(IReadOnlyDictionary<string, object> claims)
    {
        var header = Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string> { ["alg"] = "RS256", ["typ"] = "JWT" }));
        var payload = Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(claims));
        // Clients read these tokens but cannot verify them; random bytes stand in for the issuer's signature.
        return $"{header}.{payload}.{Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32))}";
    }

    public static JsonElement ReadPayload(string jwt) =>
        JsonDocument.Parse(Base64Url.DecodeFromChars(jwt.Split('.')[1])).RootElement.Clone();
}
