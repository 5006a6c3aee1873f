using System.Text.Json.Nodes;

namespace SecretRotator.Tests.Fakes.Kubernetes;

/// <summary>An API error the fake answers with: HTTP code plus the metav1.Status body.</summary>
internal sealed class KubeStatusException(int code, JsonObject body, string? retryAfter = null)
    : Exception(body["message"]?.GetValue<string>())
{
    public int Code { get; } = code;
    public JsonObject Body { get; } = body;
    public string? RetryAfter { get; } = retryAfter;
}

/// <summary>
/// metav1.Status bodies as k8s.io/apimachinery/pkg/api/errors builds them, in the apiserver's field order
/// (kind, apiVersion, metadata, status, message, reason, details, code; details: name, group, kind, uid, causes, retryAfterSeconds).
/// </summary>
internal static class KubeStatus
{
    public static JsonObject Failure(int code, string reason, string message, JsonObject? details)
    {
        var status = new JsonObject
        {
            ["kind"] = "Status", ["apiVersion"] = "v1", ["metadata"] = new JsonObject(),
            ["status"] = "Failure", ["message"] = message, ["reason"] = reason,
        };
        if (details is not null)
        {
            status["details"] = details;
        }
        status["code"] = code;
        return status;
    }

    public static JsonObject Success(string name, string resource, string? uid)
    {
        var details = Details(name, resource);
        if (uid is not null)
        {
            details["uid"] = uid;
        }
        return new JsonObject
        {
            ["kind"] = "Status", ["apiVersion"] = "v1", ["metadata"] = new JsonObject(), ["status"] = "Success", ["details"] = details,
        };
    }

    public static KubeStatusException NotFound(string resource, string name) =>
        new(404, Failure(404, "NotFound", $"{resource} \"{name}\" not found", Details(name, resource)));

    public static KubeStatusException RouteNotFound() =>
        new(404, Failure(404, "NotFound", "the server could not find the requested resource", new JsonObject()));

    public static KubeStatusException AlreadyExists(string resource, string name) =>
        new(409, Failure(409, "AlreadyExists", $"{resource} \"{name}\" already exists", Details(name, resource)));

    public static KubeStatusException Conflict(string resource, string name) =>
        new(409, Failure(409, "Conflict",
            $"Operation cannot be fulfilled on {resource} \"{name}\": the object has been modified; please apply your changes to the latest version and try again",
            Details(name, resource)));

    /// <summary>422 with one field cause; <paramref name="causeMessage"/> is e.g. <c>Invalid value: "Opaque": field is immutable</c>.</summary>
    public static KubeStatusException Invalid(string kind, string name, string field, string causeReason, string causeMessage)
    {
        var cause = new JsonObject { ["reason"] = causeReason, ["message"] = causeMessage, ["field"] = field };
        var details = Details(name, kind);
        details["causes"] = new JsonArray(cause);
        return new(422, Failure(422, "Invalid", $"{kind} \"{name}\" is invalid: {field}: {causeMessage}", details));
    }

    /// <summary>RBAC denial, worded like the apiserver's authorization filter (name only when the request names one).</summary>
    public static KubeStatusException Forbidden(string user, string verb, string resource, string? name, string? scopeNamespace)
    {
        var scope = scopeNamespace is null ? "at the cluster scope" : $"in the namespace \"{scopeNamespace}\"";
        var reason = $"User \"{user}\" cannot {verb} resource \"{resource}\" in API group \"\" {scope}";
        var subject = name is null ? resource : $"{resource} \"{name}\"";
        var details = name is null ? new JsonObject { ["kind"] = resource } : Details(name, resource);
        return new(403, Failure(403, "Forbidden", $"{subject} is forbidden: {reason}", details));
    }

    public static KubeStatusException BadRequest(string message) => new(400, Failure(400, "BadRequest", message, null));

    public static KubeStatusException MethodNotAllowed() =>
        new(405, Failure(405, "MethodNotAllowed", "the server does not allow this method on the requested resource", new JsonObject()));

    public static KubeStatusException UnsupportedMediaType(string? contentType) =>
        new(415, Failure(415, "UnsupportedMediaType",
            $"the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json (got \"{contentType}\")",
            null));

    public static KubeStatusException TooManyRequests(string retryAfterHeader, int? retryAfterSeconds)
    {
        var details = new JsonObject();
        if (retryAfterSeconds is { } seconds)
        {
            details["retryAfterSeconds"] = seconds;
        }
        return new(429, Failure(429, "TooManyRequests", "Too many requests, please try again later.", details), retryAfterHeader);
    }

    public static KubeStatusException ServerError(int code) => code switch
    {
        401 => new(401, Failure(401, "Unauthorized", "Unauthorized", null)),
        410 => new(410, Failure(410, "Expired",
            "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.", null)),
        503 => new(503, Failure(503, "ServiceUnavailable", "the server is currently unable to handle the request", null)),
        504 => new(504, Failure(504, "Timeout",
            "Timeout: request did not complete within requested timeout - context deadline exceeded", new JsonObject())),
        _ => new(code, Failure(code, "InternalError", "Internal error occurred: injected fault",
            new JsonObject { ["causes"] = new JsonArray(new JsonObject { ["message"] = "injected fault" }) })),
    };

    /// <summary>The ERROR event a watch gets when its resourceVersion has been compacted away.</summary>
    public static JsonObject Expired(long requested, long oldest) =>
        Failure(410, "Expired", $"too old resource version: {requested} ({oldest})", null);

    private static JsonObject Details(string name, string kind) => new() { ["name"] = name, ["kind"] = kind };
}
