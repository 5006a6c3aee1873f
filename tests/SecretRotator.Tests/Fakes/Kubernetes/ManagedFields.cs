using System.Globalization;
using System.Text.Json.Nodes;

namespace SecretRotator.Tests.Fakes.Kubernetes;

/// <summary>
/// metadata.managedFields as the apiserver's server-side field tracking records them on every write (one FieldsV1
/// entry per manager). Clients never send them back on purpose; an update that omits them keeps the stored ones. They
/// are in every object a real LIST returns, so a client's decode cost is measured against the real size.
/// </summary>
internal static class ManagedFields
{
    private const string Manager = "secret-rotator";

    /// <summary>Records the fields of <paramref name="obj"/> as owned by one Update manager, at <paramref name="now"/>.</summary>
    public static void Stamp(JsonObject obj, DateTimeOffset now)
    {
        var metadata = (JsonObject)obj["metadata"]!;
        var fields = new JsonObject();
        foreach (var (key, value) in obj)
        {
            if (key is "apiVersion" or "kind" or "metadata" || value is null) continue;
            fields["f:" + key] = Fields(value);
        }
        var owned = new JsonObject();
        foreach (var key in new[] { "labels", "annotations", "finalizers", "ownerReferences" })
        {
            if (metadata[key] is { } value) owned["f:" + key] = Fields(value);
        }
        if (owned.Count > 0) fields["f:metadata"] = owned;
        metadata["managedFields"] = new JsonArray(new JsonObject
        {
            ["manager"] = Manager,
            ["operation"] = "Update",
            ["apiVersion"] = obj["apiVersion"]?.DeepClone() ?? "v1",
            ["time"] = now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            ["fieldsType"] = "FieldsV1",
            ["fieldsV1"] = fields,
        });
    }

    /// <summary>
    /// An update keeps the stored entries whatever the client sends back (the apiserver parses them; a client that
    /// echoes what it read, with its own timestamp format, changes nothing), then <see cref="Stamp"/> re-records a real change.
    /// </summary>
    public static void Keep(JsonObject updated, JsonObject current)
    {
        var metadata = (JsonObject)updated["metadata"]!;
        if (current["metadata"]?["managedFields"] is { } stored) metadata["managedFields"] = stored.DeepClone();
        else metadata.Remove("managedFields");
    }

    private static JsonObject Fields(JsonNode value) => value switch
    {
        JsonObject map => Map(map),
        JsonArray list => List(list),
        _ => [],
    };

    private static JsonObject Map(JsonObject map)
    {
        var fields = new JsonObject { ["."] = new JsonObject() };
        foreach (var (key, value) in map) fields["f:" + key] = value is JsonObject inner ? Map(inner) : new JsonObject();
        return fields;
    }

    // Lists of named objects are keyed by name (imagePullSecrets, ownerReferences); others are atomic.
    private static JsonObject List(JsonArray list)
    {
        var fields = new JsonObject { ["."] = new JsonObject() };
        foreach (var item in list)
        {
            if (item is JsonObject { } entry && entry["name"]?.GetValue<string>() is { } name)
                fields[$"k:{{\"name\":\"{name}\"}}"] = new JsonObject { ["."] = new JsonObject(), ["f:name"] = new JsonObject() };
            else if (item is JsonValue v && v.TryGetValue<string>(out var text))
                fields[$"v:\"{text}\""] = new JsonObject();
        }
        return fields;
    }
}
