using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace SecretRotator.Tests.Fakes.Kubernetes;

/// <summary>The request pipeline: decode → inject faults → authorize → serve → journal.</summary>
internal sealed class FakeKubeHandler(FakeKubeStore store, FaultInjector faults, FakeRbac rbac, CancellationToken stopping)
{
    public WatchBookmarks Bookmarks { get; } = new();

    // Go's encoding/json writes \" rather than \u0022; relaxed escaping keeps Status bodies byte-identical to the apiserver's.
    internal static readonly JsonSerializerOptions Wire = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly Lock _journalGate = new();
    private readonly List<KubeRequestRecord> _journal = [];

    public IReadOnlyList<KubeRequestRecord> Journal
    {
        get { lock (_journalGate) { return [.. _journal]; } }
    }

    public void ClearJournal()
    {
        lock (_journalGate) { _journal.Clear(); }
    }

    public async Task HandleAsync(HttpContext context)
    {
        var info = Describe(context.Request);
        KubeFault? applied = null;
        var recorded = false;
        // Journal first, then answer: once a client has its response, the journal already shows the request.
        void Journal(int status)
        {
            Record(info, status, applied);
            recorded = true;
        }
        try
        {
            foreach (var fault in faults.Choose(info))
            {
                applied = fault; // latency too is recorded, though the request is then served
                switch (fault)
                {
                    case KubeFault.Latency latency:
                        await Task.Delay(latency.Delay, context.RequestAborted);
                        break;
                    case KubeFault.DropConnection:
                        Journal(0);
                        context.Abort();
                        return;
                    case KubeFault.TooManyRequests throttle:
                        throw KubeStatus.TooManyRequests(throttle.RetryAfter,
                            int.TryParse(throttle.RetryAfter, CultureInfo.InvariantCulture, out var seconds) ? seconds : null);
                    case KubeFault.ServerError error:
                        throw KubeStatus.ServerError(error.StatusCode);
                }
            }
            if (info.Resource.Length == 0)
            {
                throw KubeStatus.RouteNotFound();
            }
            rbac.Authorize(info);
            if (info.Verb == "watch")
            {
                Journal(200);
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping);
                await new WatchStream(store, context, info, Bookmarks).RunAsync(Filter(info, context.Request.Query), linked.Token);
                return;
            }
            var (code, body) = await ServeAsync(info, context.Request);
            await RespondAsync(context, code, body, null, applied, Journal);
        }
        catch (KubeStatusException e)
        {
            await RespondAsync(context, e.Code, e.Body, e.RetryAfter, applied, Journal);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested || stopping.IsCancellationRequested)
        {
            // client went away or the fake is stopping: nothing to answer
        }
        finally
        {
            if (!recorded)
            {
                Record(info, 0, applied);
            }
        }
    }

    private static Task RespondAsync(HttpContext context, int code, JsonObject body, string? retryAfter, KubeFault? applied, Action<int> journal)
    {
        journal(code);
        if (applied is KubeFault.DropResponse)
        {
            context.Abort(); // the work is done (a write committed), only the answer is lost
            return Task.CompletedTask;
        }
        if (retryAfter is not null)
        {
            context.Response.Headers.RetryAfter = retryAfter;
        }
        return WriteAsync(context.Response, code, body);
    }

    // UTF-8 straight into the response pipe: a 500-secret page is ~0.8 MB, not worth a UTF-16 string copy on the shared cores.
    internal static async Task WriteAsync(HttpResponse response, int code, JsonObject body)
    {
        response.StatusCode = code;
        response.ContentType = "application/json";
        await using (var writer = new Utf8JsonWriter(response.BodyWriter, new JsonWriterOptions { Encoder = Wire.Encoder }))
        {
            body.WriteTo(writer, Wire);
        }
        await response.BodyWriter.FlushAsync(response.HttpContext.RequestAborted);
    }

    private void Record(KubeRequestInfo info, int status, KubeFault? fault)
    {
        lock (_journalGate)
        {
            _journal.Add(new(info.Method, info.Path, info.Query, info.Verb, info.Resource, info.Namespace, info.Name, status, fault));
        }
    }

    private async Task<(int Code, JsonObject Body)> ServeAsync(KubeRequestInfo info, HttpRequest request)
    {
        var resource = KubeResource.Find(info.Resource)!;
        switch (info.Verb)
        {
            case "get":
                return (200, store.Get(resource, info.Namespace, info.Name!) ?? throw KubeStatus.NotFound(resource.Plural, info.Name!));
            case "list":
                return (200, FakeKubeList.Build(store, resource, request.Query, Filter(info, request.Query)));
            case "create":
                return (201, store.Create(resource, info.Namespace, PrepareCreate(resource, info, await ReadBodyAsync(request))));
            case "update":
                var body = await ReadBodyAsync(request);
                CheckIdentity(info, body);
                return (200, store.Update(resource, info.Namespace, info.Name!, current =>
                {
                    CheckPrecondition(resource, info.Name!, current, body);
                    return body;
                }));
            case "patch":
                var patch = await ReadNodeAsync(request);
                return (200, store.Update(resource, info.Namespace, info.Name!, current =>
                {
                    var original = (JsonObject)current.DeepClone();
                    var patched = JsonPatching.Apply(request.ContentType, current, patch);
                    CheckPrecondition(resource, info.Name!, original, patched);
                    return patched;
                }));
            case "delete":
                var deleted = store.Delete(resource, info.Namespace, info.Name!);
                return (200, resource == KubeResource.Namespaces ? deleted
                    : KubeStatus.Success(info.Name!, resource.Plural, deleted["metadata"]?["uid"]?.GetValue<string>()));
            default:
                throw KubeStatus.MethodNotAllowed();
        }
    }

    private static JsonObject PrepareCreate(KubeResource resource, KubeRequestInfo info, JsonObject body)
    {
        var metadata = (JsonObject)body["metadata"]!;
        if (metadata["namespace"]?.GetValue<string>() is { Length: > 0 } ns && resource.Namespaced && ns != info.Namespace)
        {
            throw KubeStatus.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
        }
        if (metadata["name"]?.GetValue<string>() is not { Length: > 0 })
        {
            if (metadata["generateName"]?.GetValue<string>() is not { Length: > 0 } prefix)
            {
                throw KubeStatus.Invalid(resource.Kind, "", "metadata.name", "FieldValueRequired", "Required value: name or generateName is required");
            }
            metadata["name"] = prefix + Guid.NewGuid().ToString("N")[..5];
        }
        metadata.Remove("resourceVersion");
        return body;
    }

    private static void CheckIdentity(KubeRequestInfo info, JsonObject body)
    {
        var metadata = (JsonObject)body["metadata"]!;
        var name = metadata["name"]?.GetValue<string>();
        if (name != info.Name)
        {
            throw KubeStatus.BadRequest($"the name of the object ({name}) does not match the name on the URL ({info.Name})");
        }
        if (metadata["namespace"]?.GetValue<string>() is { Length: > 0 } ns && info.Namespace is not null && ns != info.Namespace)
        {
            throw KubeStatus.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
        }
    }

    /// <summary>Optimistic concurrency: a non-empty metadata.resourceVersion in the request must be the stored one.</summary>
    private static void CheckPrecondition(KubeResource resource, string name, JsonObject current, JsonObject requested)
    {
        var wanted = requested["metadata"]?["resourceVersion"]?.GetValue<string>();
        if (!string.IsNullOrEmpty(wanted) && wanted != current["metadata"]!["resourceVersion"]!.GetValue<string>())
        {
            throw KubeStatus.Conflict(resource.Plural, name);
        }
    }

    private static async Task<JsonObject> ReadBodyAsync(HttpRequest request) =>
        await ReadNodeAsync(request) is JsonObject { } obj && obj["metadata"] is JsonObject
            ? obj
            : throw KubeStatus.BadRequest("Object 'metadata' is missing in request body");

    private static async Task<JsonNode> ReadNodeAsync(HttpRequest request)
    {
        try
        {
            return await JsonNode.ParseAsync(request.Body, cancellationToken: request.HttpContext.RequestAborted)
                ?? throw KubeStatus.BadRequest("empty request body");
        }
        catch (JsonException e)
        {
            throw KubeStatus.BadRequest($"error decoding request body: {e.Message}");
        }
    }

    private static Func<JsonObject, bool> Filter(KubeRequestInfo info, IQueryCollection query)
    {
        try
        {
            var labels = FakeLabelSelector.Parse(query["labelSelector"]);
            var fields = FakeFieldSelector.Parse(info.Resource, query["fieldSelector"]);
            return obj => (info.Namespace is null || obj["metadata"]?["namespace"]?.GetValue<string>() == info.Namespace)
                && labels.Matches(LabelsOf(obj)) && fields(obj);
        }
        catch (FormatException e)
        {
            throw KubeStatus.BadRequest($"unable to parse requirement: {e.Message}");
        }
    }

    private static Dictionary<string, string> LabelsOf(JsonObject obj) =>
        (obj["metadata"]?["labels"] as JsonObject)?.ToDictionary(p => p.Key, p => p.Value?.GetValue<string>() ?? "") ?? [];

    private static string? ExactName(string? fieldSelector) =>
        (fieldSelector ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(t => t.Split("==", 2) is [var f, var v] ? (f, v) : t.Split('=', 2) is [var f2, var v2] && !f2.EndsWith('!') ? (f2, v2) : ("", ""))
            .Where(t => t.Item1 == "metadata.name").Select(t => t.Item2).FirstOrDefault();

    private static KubeRequestInfo Describe(HttpRequest request)
    {
        var path = request.Path.Value ?? "/";
        var query = request.QueryString.Value ?? "";
        var segments = path.Trim('/').Split('/');
        string? ns = null, name = null;
        string plural;
        if (segments is ["api", "v1", var p])
        {
            plural = p;
        }
        else if (segments is ["api", "v1", "namespaces", var n])
        {
            (plural, name) = ("namespaces", n);
        }
        else if (segments is ["api", "v1", "namespaces", var n2, var p2, ..] && segments.Length <= 6 && KubeResource.Find(p2) is { Namespaced: true, ApiVersion: "v1" })
        {
            (plural, ns, name) = (p2, n2, segments.Length == 6 ? segments[5] : null);
        }
        else if (segments is ["apis", "coordination.k8s.io", "v1", "namespaces", var n3, "leases", ..] && segments.Length <= 7)
        {
            (plural, ns, name) = ("leases", n3, segments.Length == 7 ? segments[6] : null);
        }
        else
        {
            plural = "";
        }
        var resource = KubeResource.Find(plural);
        if (resource is null)
        {
            return new(request.Method, path, query, request.Method.ToLowerInvariant(), "", ns, name);
        }
        var watch = request.Query["watch"] is var w && (w == "true" || w == "1");
        var verb = (request.Method, name) switch
        {
            ("GET", null) => watch ? "watch" : "list",
            ("GET", _) => "get",
            ("POST", null) when resource.Namespaced == (ns is not null) => "create",
            ("PUT", not null) => "update",
            ("PATCH", not null) => "patch",
            ("DELETE", not null) => "delete",
            _ => request.Method.ToLowerInvariant(),
        };
        // As the apiserver does: a list or watch for one name (fieldSelector metadata.name=NAME) carries that name, so
        // RBAC resourceNames can allow it.
        if (verb is "list" or "watch" && ExactName(request.Query["fieldSelector"]) is { } selected) name = selected;
        return new(request.Method, path, query, verb, plural, ns, name);
    }
}
