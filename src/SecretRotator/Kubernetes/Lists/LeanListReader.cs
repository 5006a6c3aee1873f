using System.Text.Json;
using k8s;
using k8s.Models;

namespace SecretRotator.Kubernetes.Lists;

/// <summary>
/// Decodes a LIST page of namespaces, secrets or service accounts. The library's typed decode costs ~8 µs per secret
/// (reflection models, every managedFields entry); a run reads every managed secret, namespace and service account
/// on every pass. Items of an unusual shape (see <see cref="LeanObjectReader"/>) go through the typed decode.
/// </summary>
public static class LeanListReader
{
    public static bool Reads(Type type) => type == typeof(V1SecretList) || type == typeof(V1ServiceAccountList) || type == typeof(V1NamespaceList);

    /// <summary>Decodes <paramref name="length"/> bytes of <paramref name="json"/> as a list of <paramref name="type"/>.</summary>
    /// <exception cref="JsonException">Malformed JSON, or an item even the typed decode rejects.</exception>
    public static object Read(Type type, byte[] json, int length) => Decode(type.Name, () => ReadList(type, json, length));

    /// <summary>A NamespaceList body as names only, without namespaces being deleted (see <see cref="INamespaceNameLister"/>).</summary>
    /// <exception cref="JsonException">Malformed JSON, or a namespace without a name.</exception>
    public static NamespaceNamePage ReadNamespaceNames(byte[] json, int length) => Decode(nameof(V1NamespaceList), () =>
    {
        V1ListMeta? metadata = null;
        var names = ReadEnvelope<string?>(json, length, NamespaceNameReader.TryName, (_, _, m) => metadata = m);
        names.RemoveAll(name => name is null);
        return new NamespaceNamePage(names!, string.IsNullOrEmpty(metadata?.ContinueProperty) ? null : metadata.ContinueProperty);
    });

    private static T Decode<T>(string what, Func<T> decode)
    {
        try
        {
            return decode();
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            // A token of the wrong type in the envelope (e.g. a string remainingItemCount): reported as the typed decode would.
            throw new JsonException($"cannot decode the {what} response: {e.Message}", e);
        }
    }

    private static object ReadList(Type type, byte[] json, int length)
    {
        if (type == typeof(V1SecretList))
        {
            var list = new V1SecretList();
            list.Items = ReadEnvelope<V1Secret>(json, length, LeanObjectReader.TrySecret, (k, a, m) => (list.Kind, list.ApiVersion, list.Metadata) = (k, a, m));
            return list;
        }
        if (type == typeof(V1ServiceAccountList))
        {
            var list = new V1ServiceAccountList();
            list.Items = ReadEnvelope<V1ServiceAccount>(json, length, LeanObjectReader.TryServiceAccount, (k, a, m) => (list.Kind, list.ApiVersion, list.Metadata) = (k, a, m));
            return list;
        }
        if (type == typeof(V1NamespaceList))
        {
            var list = new V1NamespaceList();
            list.Items = ReadEnvelope<V1Namespace>(json, length, LeanObjectReader.TryNamespace, (k, a, m) => (list.Kind, list.ApiVersion, list.Metadata) = (k, a, m));
            return list;
        }
        throw new ArgumentException($"not a list this reader decodes: {type.Name}", nameof(type));
    }

    private static List<T> ReadEnvelope<T>(byte[] json, int length, LeanObjectReader.Item<T> item, Action<string?, string?, V1ListMeta?> setHeader)
    {
        var r = new Utf8JsonReader(json.AsSpan(0, length));
        var strings = new PageStrings();
        var items = new List<T>();
        string? kind = null, apiVersion = null;
        V1ListMeta? metadata = null;
        if (!r.Read() || r.TokenType != JsonTokenType.StartObject) throw new JsonException("a list response is not a JSON object");
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            if (r.ValueTextEquals("items"u8))
            {
                r.Read();
                if (r.TokenType == JsonTokenType.Null) continue;
                if (r.TokenType != JsonTokenType.StartArray) throw new JsonException("items is not an array");
                while (r.Read() && r.TokenType != JsonTokenType.EndArray) items.Add(ReadItem(ref r, json, strings, item));
            }
            else if (r.ValueTextEquals("metadata"u8)) metadata = ReadListMeta(ref r);
            else if (r.ValueTextEquals("kind"u8)) kind = ReadString(ref r);
            else if (r.ValueTextEquals("apiVersion"u8)) apiVersion = ReadString(ref r);
            else
            {
                r.Read();
                r.Skip(); // not part of the model: the typed decode ignores it too
            }
        }
        setHeader(kind, apiVersion, metadata);
        return items;
    }

    /// <summary>The lean read of the item at the reader, or the typed decode of its bytes when the lean read declines.</summary>
    private static T ReadItem<T>(ref Utf8JsonReader r, byte[] json, PageStrings strings, LeanObjectReader.Item<T> item)
    {
        var attempt = r;
        if (item(ref attempt, strings, out var lean))
        {
            r = attempt;
            return lean;
        }
        var start = (int)r.TokenStartIndex;
        r.Skip();
        using var bytes = new MemoryStream(json, start, (int)r.BytesConsumed - start, writable: false);
        return WithoutManagedFields(KubernetesJson.Deserialize<T>(bytes));
    }

    // Every listed object comes without them, however it was decoded.
    private static T WithoutManagedFields<T>(T item)
    {
        if (item is IMetadata<V1ObjectMeta> { Metadata: { } metadata }) metadata.ManagedFields = null;
        return item;
    }

    private static V1ListMeta? ReadListMeta(ref Utf8JsonReader r)
    {
        r.Read();
        if (r.TokenType == JsonTokenType.Null) return null;
        if (r.TokenType != JsonTokenType.StartObject) throw new JsonException("list metadata is not an object");
        var meta = new V1ListMeta();
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            if (r.ValueTextEquals("continue"u8)) meta.ContinueProperty = ReadString(ref r);
            else if (r.ValueTextEquals("resourceVersion"u8)) meta.ResourceVersion = ReadString(ref r);
            else if (r.ValueTextEquals("selfLink"u8)) meta.SelfLink = ReadString(ref r);
            else if (r.ValueTextEquals("remainingItemCount"u8))
            {
                r.Read();
                meta.RemainingItemCount = r.TokenType == JsonTokenType.Null ? null : r.GetInt64();
            }
            else
            {
                r.Read();
                r.Skip();
            }
        }
        return meta;
    }

    private static string? ReadString(ref Utf8JsonReader r)
    {
        r.Read();
        return r.TokenType == JsonTokenType.Null ? null : r.GetString();
    }
}
