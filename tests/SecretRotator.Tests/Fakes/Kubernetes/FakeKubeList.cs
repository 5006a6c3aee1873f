using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace SecretRotator.Tests.Fakes.Kubernetes;

/// <summary>LIST responses: filtered items without per-item kind/apiVersion, list resourceVersion, limit/continue paging.</summary>
internal static class FakeKubeList
{
    public static JsonObject Build(FakeKubeStore store, KubeResource resource, IQueryCollection query, Func<JsonObject, bool> filter)
    {
        var after = query["continue"].ToString() is { Length: > 0 } token ? DecodeContinue(token) : ((string, string)?)null;
        int? limit = int.TryParse(query["limit"], CultureInfo.InvariantCulture, out var l) && l > 0 ? l : null;
        var (selected, resourceVersion, remaining) = store.ListPage(resource, filter, after, limit);
        var metadata = new JsonObject { ["resourceVersion"] = resourceVersion.ToString(CultureInfo.InvariantCulture) };
        if (remaining > 0)
        {
            metadata["continue"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(KeyOf(selected[^1])));
            metadata["remainingItemCount"] = remaining;
        }
        var array = new JsonArray();
        foreach (var item in selected)
        {
            item.Remove("kind"); // the apiserver omits TypeMeta on list items
            item.Remove("apiVersion");
            array.Add(item);
        }
        return new JsonObject { ["kind"] = resource.ListKind, ["apiVersion"] = "v1", ["metadata"] = metadata, ["items"] = array };
    }

    // Namespace names cannot hold '/', so "namespace/name" splits back at the first one.
    private static string KeyOf(JsonObject obj) =>
        $"{obj["metadata"]?["namespace"]?.GetValue<string>()}/{obj["metadata"]!["name"]!.GetValue<string>()}";

    private static (string Namespace, string Name) DecodeContinue(string token)
    {
        try
        {
            var key = Encoding.UTF8.GetString(Convert.FromBase64String(token));
            var slash = key.IndexOf('/', StringComparison.Ordinal);
            return slash < 0 ? throw KubeStatus.BadRequest("invalid continue token") : (key[..slash], key[(slash + 1)..]);
        }
        catch (FormatException)
        {
            throw KubeStatus.BadRequest("invalid continue token");
        }
    }
}

/// <summary>fieldSelector support the apiserver offers for these resources: metadata.name, metadata.namespace (+ type for secrets).</summary>
internal static class FakeFieldSelector
{
    public static Func<JsonObject, bool> Parse(string resource, string? selector)
    {
        var tests = new List<Func<JsonObject, bool>>();
        foreach (var term in (selector ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var (field, value, negate) = term.Split("!=", 2) is [var f1, var v1] ? (f1, v1, true)
                : term.Split("==", 2) is [var f2, var v2] ? (f2, v2, false)
                : term.Split('=', 2) is [var f3, var v3] ? (f3, v3, false)
                : throw new FormatException($"invalid field selector: '{term}'");
            Func<JsonObject, string?> read = field switch
            {
                "metadata.name" => o => o["metadata"]?["name"]?.GetValue<string>(),
                "metadata.namespace" => o => o["metadata"]?["namespace"]?.GetValue<string>() ?? "",
                "type" when resource == "secrets" => o => o["type"]?.GetValue<string>(),
                "status.phase" when resource == "namespaces" => o => o["status"]?["phase"]?.GetValue<string>(),
                _ => throw new FormatException($"field label not supported: {field}"),
            };
            tests.Add(o => (read(o) == value) != negate);
        }
        return o => tests.TrueForAll(t => t(o));
    }
}
