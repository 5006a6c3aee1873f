using System.Net;
using System.Text.Json;
using k8s.Autorest;
using k8s.Exceptions;

namespace SecretRotator.Kubernetes;

/// <summary>Turns API errors into short reasons and messages an operator can act on (never by matching message text).</summary>
public static class KubernetesErrors
{
    /// <summary>The Status reason from the body (AlreadyExists, Conflict, Invalid, ...), or null.</summary>
    public static string? StatusReason(HttpOperationException e)
    {
        try
        {
            using var doc = JsonDocument.Parse(e.Response.Content ?? "");
            return doc.RootElement.TryGetProperty("reason", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The kind named in Status.details (e.g. "namespaces" when a create hits a missing namespace).</summary>
    public static string? DetailsKind(HttpOperationException e)
    {
        try
        {
            using var doc = JsonDocument.Parse(e.Response.Content ?? "");
            return doc.RootElement.TryGetProperty("details", out var d) && d.ValueKind == JsonValueKind.Object &&
                   d.TryGetProperty("kind", out var k) && k.ValueKind == JsonValueKind.String ? k.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>A 403 explained as the RBAC rule that is missing.</summary>
    public static string Forbidden(string verb, string resource, string? @namespace) =>
        @namespace is null
            ? $"cannot {verb} {resource} at cluster scope; grant a ClusterRole rule {{apiGroups: [\"\"], resources: [\"{resource}\"], verbs: [\"{verb}\"]}}"
            : $"cannot {verb} {resource} in namespace {@namespace}; grant a Role in {@namespace} (or a ClusterRole) with rule {{apiGroups: [\"\"], resources: [\"{resource}\"], verbs: [\"{verb}\"]}}";

    /// <summary>Reason word and message for an API failure not handled specifically by the caller.</summary>
    public static (string Reason, string Message) Describe(Exception e, string verb, string resource, string? @namespace) => e switch
    {
        HttpOperationException { Response.StatusCode: HttpStatusCode.Forbidden } => ("forbidden", Forbidden(verb, resource, @namespace)),
        HttpOperationException { Response.StatusCode: HttpStatusCode.Unauthorized } => ("unauthorized", "the cluster rejected our credentials (expired token or wrong kubeconfig)"),
        HttpOperationException h => (ReasonWord(h), $"{verb} {resource}{(@namespace is null ? "" : $" in {@namespace}")} failed: HTTP {(int)h.Response.StatusCode} {StatusReason(h)}"),
        KubeConfigException => ("credentials", $"{verb} {resource}: {e.Message}"),
        TaskCanceledException or OperationCanceledException => ("timeout", $"{verb} {resource} timed out or was cancelled"),
        HttpRequestException { InnerException: Polly.Timeout.TimeoutRejectedException } => ("timeout", $"{verb} {resource}: {e.Message}"),
        HttpRequestException or IOException => ("unreachable", $"{verb} {resource}: API server unreachable: {e.Message}"),
        _ => ("error", $"{verb} {resource}: {e.GetType().Name}: {e.Message}"),
    };

    private static string ReasonWord(HttpOperationException h) => (int)h.Response.StatusCode switch
    {
        404 => "not_found",
        409 => "conflict",
        422 => "invalid",
        429 => "throttled",
        >= 500 => "server_error",
        var c => $"http_{c}",
    };
}
