using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace SecretRotator.Tests.Fakes.Ecr;

/// <summary>What a correctly signed request claimed in its Authorization header.</summary>
public sealed record SigV4Claims(string AccessKeyId, string Date, string Region, string Service, IReadOnlyList<string> SignedHeaders, string? SecurityToken);

/// <summary>
/// Independent SigV4 check for the fakes: parses the Authorization header, rebuilds the canonical request
/// from what arrived on the wire and recomputes the signature with the known secret key.
/// </summary>
public static partial class SigV4Verifier
{
    [GeneratedRegex(@"^AWS4-HMAC-SHA256 Credential=(?<key>[^/]+)/(?<date>\d{8})/(?<region>[^/]+)/(?<service>[^/]+)/aws4_request, ?SignedHeaders=(?<headers>[a-z0-9;\-]+), ?Signature=(?<sig>[0-9a-f]{64})$")]
    private static partial Regex AuthorizationHeader();

    /// <summary>Returns the claims, or throws <see cref="SignatureMismatchException"/> saying what is wrong.</summary>
    public static SigV4Claims Verify(HttpRequest request, byte[] body, AwsTestKeys keys, DateTimeOffset now)
    {
        var authorization = request.Headers.Authorization;
        if (authorization.Count != 1) throw new SignatureMismatchException("MissingAuthenticationTokenException", $"expected one Authorization header, got {authorization.Count}");
        var match = AuthorizationHeader().Match(authorization[0] ?? "");
        if (!match.Success) throw new SignatureMismatchException("IncompleteSignatureException", $"malformed Authorization header: {authorization[0]}");

        var signedHeaders = match.Groups["headers"].Value.Split(';');
        if (!signedHeaders.Contains("host") || !signedHeaders.Contains("x-amz-date"))
            throw new SignatureMismatchException("IncompleteSignatureException", "host and x-amz-date must be signed");
        if (!signedHeaders.SequenceEqual(signedHeaders.Order(StringComparer.Ordinal)))
            throw new SignatureMismatchException("IncompleteSignatureException", "SignedHeaders must be sorted");

        var amzDate = request.Headers["x-amz-date"].ToString();
        if (!DateTimeOffset.TryParseExact(amzDate, "yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var signedAt))
            throw new SignatureMismatchException("IncompleteSignatureException", $"bad x-amz-date '{amzDate}'");
        if (amzDate[..8] != match.Groups["date"].Value)
            throw new SignatureMismatchException("InvalidSignatureException", "credential scope date differs from x-amz-date");
        if ((now - signedAt).Duration() > TimeSpan.FromMinutes(5))
            throw new SignatureMismatchException("InvalidSignatureException", "signature outside the 5 minute window");

        var key = keys.Find(match.Groups["key"].Value)
            ?? throw new SignatureMismatchException("UnrecognizedClientException", "The security token included in the request is invalid.");
        var token = request.Headers["x-amz-security-token"].ToString();
        if (key.SessionToken is not null && token != key.SessionToken)
            throw new SignatureMismatchException("UnrecognizedClientException", "session credentials used without their X-Amz-Security-Token");

        var payloadHash = Hex(SHA256.HashData(body));
        var declared = request.Headers["x-amz-content-sha256"].ToString();
        if (declared.Length > 0 && declared != payloadHash)
            throw new SignatureMismatchException("InvalidSignatureException", "x-amz-content-sha256 does not match the body");

        var canonical = string.Join('\n',
            request.Method,
            CanonicalPath(request),
            CanonicalQuery(request),
            string.Concat(signedHeaders.Select(h => $"{h}:{HeaderValue(request, h)}\n")),
            match.Groups["headers"].Value,
            payloadHash);
        var scope = $"{match.Groups["date"].Value}/{match.Groups["region"].Value}/{match.Groups["service"].Value}/aws4_request";
        var stringToSign = $"AWS4-HMAC-SHA256\n{amzDate}\n{scope}\n{Hex(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)))}";

        var signingKey = Hmac(Encoding.UTF8.GetBytes("AWS4" + key.SecretAccessKey), match.Groups["date"].Value);
        signingKey = Hmac(signingKey, match.Groups["region"].Value);
        signingKey = Hmac(signingKey, match.Groups["service"].Value);
        signingKey = Hmac(signingKey, "aws4_request");
        var expected = Hex(HMACSHA256.HashData(signingKey, Encoding.UTF8.GetBytes(stringToSign)));
        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(match.Groups["sig"].Value)))
            throw new SignatureMismatchException("InvalidSignatureException", "The request signature we calculated does not match the signature you provided.");

        return new SigV4Claims(key.AccessKeyId, match.Groups["date"].Value, match.Groups["region"].Value, match.Groups["service"].Value,
            signedHeaders, token.Length == 0 ? null : token);
    }

    private static string CanonicalPath(HttpRequest request)
    {
        var raw = request.HttpContext.Features.Get<IHttpRequestFeature>()?.RawTarget ?? request.Path.Value ?? "/";
        var path = raw.Split('?')[0];
        return path.Length == 0 ? "/" : path;
    }

    private static string CanonicalQuery(HttpRequest request) =>
        string.Join('&', request.Query
            .SelectMany(q => q.Value.Select(v => (Key: Uri.EscapeDataString(q.Key), Value: Uri.EscapeDataString(v ?? ""))))
            .OrderBy(p => p.Key, StringComparer.Ordinal).ThenBy(p => p.Value, StringComparer.Ordinal)
            .Select(p => $"{p.Key}={p.Value}"));

    private static string HeaderValue(HttpRequest request, string name)
    {
        var values = request.Headers[name];
        if (values.Count == 0) throw new SignatureMismatchException("InvalidSignatureException", $"signed header '{name}' was not sent");
        return string.Join(',', values.Select(v => CollapseSpaces().Replace(v?.Trim() ?? "", " ")));
    }

    [GeneratedRegex(" {2,}")]
    private static partial Regex CollapseSpaces();

    private static byte[] Hmac(byte[] key, string data) => HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(data));

    private static string Hex(byte[] bytes) => Convert.ToHexStringLower(bytes);
}

/// <summary>A request whose signature the fake refuses; <see cref="Code"/> is the AWS error code to answer with.</summary>
public sealed class SignatureMismatchException(string code, string message) : Exception(message)
{
    public string Code { get; } = code;
}
