using System.Globalization;
using System.Text.Json.Nodes;

namespace SecretRotator.Tests.Fakes.Kubernetes;

/// <summary>The PATCH flavours the fake applies to stored JSON.</summary>
internal static class JsonPatching
{
    public static JsonObject Apply(string? contentType, JsonObject target, JsonNode patch)
    {
        var mediaType = contentType?.Split(';')[0].Trim();
        return mediaType switch
        {
            "application/merge-patch+json" => (JsonObject)MergePatch(target, patch, strategic: false)!,
            // For the fields the rotator touches (metadata maps, data, ServiceAccount.imagePullSecrets which is listType=atomic)
            // a strategic merge patch behaves exactly like a merge patch; list merge keys are not modelled.
            "application/strategic-merge-patch+json" => (JsonObject)MergePatch(target, patch, strategic: true)!,
            "application/json-patch+json" => JsonPatch(target, patch as JsonArray ?? throw KubeStatus.BadRequest("json patch must be an array")),
            _ => throw KubeStatus.UnsupportedMediaType(contentType),
        };
    }

    private static JsonNode? MergePatch(JsonNode? target, JsonNode? patch, bool strategic)
    {
        if (patch is not JsonObject patchObject)
        {
            return patch?.DeepClone();
        }
        var result = target as JsonObject ?? [];
        foreach (var (key, value) in patchObject)
        {
            if (strategic && key.StartsWith('$'))
            {
                if (key.StartsWith("$setElementOrder/", StringComparison.Ordinal) || key == "$retainKeys")
                {
                    continue; // ordering hints only
                }
                throw KubeStatus.BadRequest($"fake apiserver: strategic merge directive {key} is not supported");
            }
            if (value is null)
            {
                result.Remove(key);
            }
            else
            {
                var existing = result[key];
                var merged = MergePatch(existing, value, strategic);
                if (!ReferenceEquals(merged, existing))
                {
                    result[key] = merged;
                }
            }
        }
        return result;
    }

    private static JsonObject JsonPatch(JsonObject target, JsonArray operations)
    {
        foreach (var operation in operations.OfType<JsonObject>())
        {
            var op = operation["op"]?.GetValue<string>();
            var path = operation["path"]?.GetValue<string>() ?? throw KubeStatus.BadRequest("json patch operation without path");
            var (parent, token) = Resolve(target, path);
            switch (op)
            {
                case "test":
                    // As the API server's json-patch library: a null value also matches a member that is absent.
                    if (!JsonNode.DeepEquals(Get(parent, token), operation["value"]))
                    {
                        throw new KubeStatusException(422, KubeStatus.Failure(422, "Invalid", $"the server rejected our request due to an error in our request: testing value {path} failed", null));
                    }
                    break;
                case "remove":
                    Remove(parent, token, path);
                    break;
                case "add":
                    Set(parent, token, operation["value"]?.DeepClone(), insert: true);
                    break;
                case "replace":
                    Remove(parent, token, path);
                    Set(parent, token, operation["value"]?.DeepClone(), insert: true);
                    break;
                default:
                    throw KubeStatus.BadRequest($"fake apiserver: json patch op {op} is not supported");
            }
        }
        return target;
    }

    private static (JsonNode Parent, string Token) Resolve(JsonObject root, string pointer)
    {
        var tokens = pointer.Split('/').Skip(1).Select(t => t.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)).ToArray();
        JsonNode node = root;
        foreach (var token in tokens[..^1])
        {
            // The API server answers every failure applying a decoded JSON patch with 422 (a missing parent included).
            node = Get(node, token) ?? throw new KubeStatusException(422, KubeStatus.Failure(422, "Invalid",
                $"the server rejected our request due to an error in our request: json patch path {pointer} is missing", null));
        }
        return (node, tokens[^1]);
    }

    private static JsonNode? Get(JsonNode parent, string token) => parent switch
    {
        JsonObject o => o[token],
        JsonArray a when int.TryParse(token, CultureInfo.InvariantCulture, out var i) && i < a.Count => a[i],
        _ => null,
    };

    private static void Remove(JsonNode parent, string token, string path)
    {
        var removed = parent switch
        {
            JsonObject o => o.Remove(token),
            JsonArray a when int.TryParse(token, CultureInfo.InvariantCulture, out var i) && i < a.Count => RemoveAt(a, i),
            _ => false,
        };
        if (!removed)
        {
            throw new KubeStatusException(422, KubeStatus.Failure(422, "Invalid", $"the server rejected our request due to an error in our request: path {path} does not exist", null));
        }
    }

    private static bool RemoveAt(JsonArray array, int index)
    {
        array.RemoveAt(index);
        return true;
    }

    private static void Set(JsonNode parent, string token, JsonNode? value, bool insert)
    {
        switch (parent)
        {
            case JsonObject o:
                o[token] = value;
                break;
            case JsonArray a when token == "-":
                a.Add(value);
                break;
            case JsonArray a when insert && int.TryParse(token, CultureInfo.InvariantCulture, out var i) && i <= a.Count:
                a.Insert(i, value);
                break;
            default:
                throw KubeStatus.BadRequest($"json patch cannot set {token}");
        }
    }
}
