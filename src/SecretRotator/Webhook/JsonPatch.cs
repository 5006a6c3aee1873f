using System.Text.Json;

namespace SecretRotator.Webhook;

/// <summary>
/// The RFC 6902 patches the webhook returns: append names to an <c>imagePullSecrets</c> list (creating the list when the
/// object has none) and set one annotation. Written with <see cref="Utf8JsonWriter"/>: no reflection, nothing to trim.
/// </summary>
public static class JsonPatch
{
    /// <param name="listPath">JSON pointer of the list, e.g. <c>/spec/imagePullSecrets</c>.</param>
    /// <param name="listExists">Whether the object already has the list: then each name is appended with <c>/-</c>,
    /// so what the object lists is kept; otherwise one <c>add</c> creates it.</param>
    public static void AppendNames(Utf8JsonWriter writer, string listPath, bool listExists, IReadOnlyList<string> names)
    {
        if (names.Count == 0) return;
        if (!listExists)
        {
            writer.WriteStartObject();
            writer.WriteString("op", "add");
            writer.WriteString("path", listPath);
            writer.WriteStartArray("value");
            foreach (var name in names) WriteReference(writer, name);
            writer.WriteEndArray();
            writer.WriteEndObject();
            return;
        }
        foreach (var name in names)
        {
            writer.WriteStartObject();
            writer.WriteString("op", "add");
            writer.WriteString("path", listPath + "/-");
            writer.WritePropertyName("value");
            WriteReference(writer, name);
            writer.WriteEndObject();
        }
    }

    /// <summary>Sets one annotation; <paramref name="annotationsExist"/>: the object has a metadata.annotations map.</summary>
    public static void SetAnnotation(Utf8JsonWriter writer, bool annotationsExist, string key, string value)
    {
        writer.WriteStartObject();
        writer.WriteString("op", "add");
        if (annotationsExist)
        {
            writer.WriteString("path", "/metadata/annotations/" + Escape(key));
            writer.WriteString("value", value);
        }
        else
        {
            writer.WriteString("path", "/metadata/annotations");
            writer.WriteStartObject("value");
            writer.WriteString(key, value);
            writer.WriteEndObject();
        }
        writer.WriteEndObject();
    }

    /// <summary>RFC 6901: '~' and '/' inside a key become ~0 and ~1.</summary>
    public static string Escape(string key) => key.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal);

    private static void WriteReference(Utf8JsonWriter writer, string name)
    {
        writer.WriteStartObject();
        writer.WriteString("name", name);
        writer.WriteEndObject();
    }
}
