using System.Net;
using System.Text.Json;

namespace SecretRotator.Registries.Ecr;

/// <summary>AWS JSON protocol errors: the error code and the metric-safe reason derived from it.</summary>
public static class AwsErrors
{
    /// <summary>
    /// Normalises <c>__type</c> or X-Amzn-ErrorType: "com.amazonaws.ecr#AccessDeniedException" and
    /// "AccessDeniedException:http://internal..." both become "AccessDeniedException".
    /// </summary>
    public static string? NormalizeCode(string? raw)
    {
        if (string.IsNullOrWhiteSpace(raw)) return null;
        var code = raw.Trim();
        var hash = code.LastIndexOf('#');
        if (hash >= 0) code = code[(hash + 1)..];
        var colon = code.IndexOf(':', StringComparison.Ordinal);
        if (colon >= 0) code = code[..colon];
        return code.Length == 0 ? null : code;
    }

    public static bool IsThrottling(string? code) => code is
        "ThrottlingException" or "Throttling" or "ThrottledException" or "RequestThrottledException"
        or "TooManyRequestsException" or "RequestLimitExceeded" or "SlowDown";

    /// <summary>Whether a response is worth another attempt: throttling and server-side failures.</summary>
    public static bool IsRetryable(HttpStatusCode status, string? code) =>
        IsThrottling(code) || status == HttpStatusCode.TooManyRequests || (int)status >= 500;

    public static string Reason(string? code, int status) => code switch
    {
        "AccessDeniedException" or "AccessDenied" => "access_denied",
        "ExpiredTokenException" or "ExpiredToken" or "RequestExpired" => "expired_token",
        "UnrecognizedClientException" or "InvalidClientTokenId" or "InvalidSignatureException" or "SignatureDoesNotMatch"
            or "IncompleteSignature" or "MissingAuthenticationTokenException" or "MissingAuthenticationToken" => "invalid_credentials",
        "InvalidIdentityToken" or "IDPRejectedClaim" or "IDPCommunicationError" or "InvalidTokenException" => "web_identity_rejected",
        "InvalidParameterException" or "ValidationException" or "SerializationException" => "invalid_request",
        _ when IsThrottling(code) || status == 429 => "throttled",
        _ when status >= 500 => "server_error",
        _ => "aws_error",
    };

    /// <summary>Reads the error code and message of a failed AWS JSON response (body may be empty or not JSON).</summary>
    public static (string? Code, string? Message) Parse(HttpResponseMessage response, string body)
    {
        string? code = null, message = null;
        try
        {
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.ValueKind == JsonValueKind.Object)
            {
                code = Text(doc.RootElement, "__type") ?? Text(doc.RootElement, "code") ?? Text(doc.RootElement, "Code");
                message = Text(doc.RootElement, "message") ?? Text(doc.RootElement, "Message");
            }
        }
        catch (JsonException)
        {
            // Proxies and load balancers answer with HTML; the status code and header still say enough.
        }
        if (response.Headers.TryGetValues("X-Amzn-ErrorType", out var values))
            code = values.FirstOrDefault() ?? code;
        return (NormalizeCode(code), message);
    }

    private static string? Text(JsonElement e, string name) =>
        e.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null;
}
