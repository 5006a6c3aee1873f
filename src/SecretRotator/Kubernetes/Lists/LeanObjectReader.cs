using System.Text.Json;
using k8s;
using k8s.Models;

namespace SecretRotator.Kubernetes.Lists;

/// <summary>
/// Reads one listed object into the library's model with <see cref="Utf8JsonReader"/>. Each reader knows every field
/// the API server sends for its kind in the common case and skips <c>metadata.managedFields</c> without allocating.
/// On any other field or an unexpected token it returns false, and the caller decodes that item with the library's
/// typed decode instead, so no field is ever lost (an update PUTs the whole object back).
/// </summary>
internal static class LeanObjectReader
{
    private static readonly KubernetesJson.KubernetesDateTimeConverter Timestamps = new();
    private static readonly JsonSerializerOptions NoOptions = new();

    /// <summary>Reads an object that starts at the reader's current token.</summary>
    public delegate bool Item<T>(ref Utf8JsonReader reader, PageStrings strings, out T item);

    public static bool TrySecret(ref Utf8JsonReader r, PageStrings s, out V1Secret secret)
    {
        secret = new V1Secret();
        if (r.TokenType != JsonTokenType.StartObject) return false;
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            bool ok;
            if (r.ValueTextEquals("metadata"u8)) { ok = TryMetadata(ref r, s, out var m); secret.Metadata = m; }
            else if (r.ValueTextEquals("type"u8)) { ok = TryString(ref r, s, out var t); secret.Type = t; }
            else if (r.ValueTextEquals("data"u8)) { ok = TryBytesMap(ref r, s, out var d); secret.Data = d; }
            else if (r.ValueTextEquals("immutable"u8)) { ok = TryBool(ref r, out var i); secret.Immutable = i; }
            else if (r.ValueTextEquals("kind"u8)) { ok = TryString(ref r, s, out var k); secret.Kind = k; }
            else if (r.ValueTextEquals("apiVersion"u8)) { ok = TryString(ref r, s, out var a); secret.ApiVersion = a; }
            else ok = false;
            if (!ok) return false;
        }
        return r.TokenType == JsonTokenType.EndObject;
    }

    public static bool TryServiceAccount(ref Utf8JsonReader r, PageStrings s, out V1ServiceAccount account)
    {
        account = new V1ServiceAccount();
        if (r.TokenType != JsonTokenType.StartObject) return false;
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            bool ok;
            if (r.ValueTextEquals("metadata"u8)) { ok = TryMetadata(ref r, s, out var m); account.Metadata = m; }
            else if (r.ValueTextEquals("imagePullSecrets"u8)) { ok = TryList<V1LocalObjectReference>(ref r, s, TryLocalReference, out var p); account.ImagePullSecrets = p; }
            else if (r.ValueTextEquals("secrets"u8)) { ok = TryList<V1ObjectReference>(ref r, s, TryObjectReference, out var x); account.Secrets = x; }
            else if (r.ValueTextEquals("automountServiceAccountToken"u8)) { ok = TryBool(ref r, out var a); account.AutomountServiceAccountToken = a; }
            else if (r.ValueTextEquals("kind"u8)) { ok = TryString(ref r, s, out var k); account.Kind = k; }
            else if (r.ValueTextEquals("apiVersion"u8)) { ok = TryString(ref r, s, out var a); account.ApiVersion = a; }
            else ok = false;
            if (!ok) return false;
        }
        return r.TokenType == JsonTokenType.EndObject;
    }

    public static bool TryNamespace(ref Utf8JsonReader r, PageStrings s, out V1Namespace ns)
    {
        ns = new V1Namespace();
        if (r.TokenType != JsonTokenType.StartObject) return false;
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            bool ok;
            if (r.ValueTextEquals("metadata"u8)) { ok = TryMetadata(ref r, s, out var m); ns.Metadata = m; }
            else if (r.ValueTextEquals("spec"u8)) { ok = TryNamespaceSpec(ref r, s, out var spec); ns.Spec = spec; }
            else if (r.ValueTextEquals("status"u8)) { ok = TryNamespaceStatus(ref r, s, out var status); ns.Status = status; }
            else if (r.ValueTextEquals("kind"u8)) { ok = TryString(ref r, s, out var k); ns.Kind = k; }
            else if (r.ValueTextEquals("apiVersion"u8)) { ok = TryString(ref r, s, out var a); ns.ApiVersion = a; }
            else ok = false;
            if (!ok) return false;
        }
        return r.TokenType == JsonTokenType.EndObject;
    }

    // ---- metadata ----

    private static bool TryMetadata(ref Utf8JsonReader r, PageStrings s, out V1ObjectMeta meta)
    {
        meta = new V1ObjectMeta();
        if (!r.Read() || r.TokenType != JsonTokenType.StartObject) return false;
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            bool ok;
            if (r.ValueTextEquals("name"u8)) { ok = TryString(ref r, s, out var v); meta.Name = v; }
            else if (r.ValueTextEquals("namespace"u8)) { ok = TryNamespaceName(ref r, s, out var v); meta.NamespaceProperty = v; }
            else if (r.ValueTextEquals("uid"u8)) { ok = TryString(ref r, null, out var v); meta.Uid = v; }
            else if (r.ValueTextEquals("resourceVersion"u8)) { ok = TryString(ref r, null, out var v); meta.ResourceVersion = v; }
            else if (r.ValueTextEquals("creationTimestamp"u8)) { ok = TryTimestamp(ref r, out var v); meta.CreationTimestamp = v; }
            else if (r.ValueTextEquals("labels"u8)) { ok = TryStringMap(ref r, s, out var v); meta.Labels = v; }
            else if (r.ValueTextEquals("annotations"u8)) { ok = TryStringMap(ref r, s, out var v); meta.Annotations = v; }
            else if (r.ValueTextEquals("managedFields"u8)) { ok = r.Read(); r.Skip(); } // never used; an update without them keeps the server's
            else if (r.ValueTextEquals("generation"u8)) { ok = TryLong(ref r, out var v); meta.Generation = v; }
            else if (r.ValueTextEquals("finalizers"u8)) { ok = TryList<string>(ref r, s, TryStringItem, out var v); meta.Finalizers = v; }
            else if (r.ValueTextEquals("generateName"u8)) { ok = TryString(ref r, s, out var v); meta.GenerateName = v; }
            else if (r.ValueTextEquals("selfLink"u8)) { ok = TryString(ref r, null, out var v); meta.SelfLink = v; }
            else if (r.ValueTextEquals("deletionTimestamp"u8)) { ok = TryTimestamp(ref r, out var v); meta.DeletionTimestamp = v; }
            else if (r.ValueTextEquals("deletionGracePeriodSeconds"u8)) { ok = TryLong(ref r, out var v); meta.DeletionGracePeriodSeconds = v; }
            else ok = false; // ownerReferences and anything newer: the typed decode
            if (!ok) return false;
        }
        return r.TokenType == JsonTokenType.EndObject;
    }

    private static bool TryNamespaceSpec(ref Utf8JsonReader r, PageStrings s, out V1NamespaceSpec spec)
    {
        spec = new V1NamespaceSpec();
        if (!r.Read() || r.TokenType != JsonTokenType.StartObject) return false;
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            if (!r.ValueTextEquals("finalizers"u8) || !TryList<string>(ref r, s, TryStringItem, out var finalizers)) return false;
            spec.Finalizers = finalizers;
        }
        return r.TokenType == JsonTokenType.EndObject;
    }

    private static bool TryNamespaceStatus(ref Utf8JsonReader r, PageStrings s, out V1NamespaceStatus status)
    {
        status = new V1NamespaceStatus();
        if (!r.Read() || r.TokenType != JsonTokenType.StartObject) return false;
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            if (!r.ValueTextEquals("phase"u8) || !TryString(ref r, s, out var phase)) return false; // conditions: the typed decode
            status.Phase = phase;
        }
        return r.TokenType == JsonTokenType.EndObject;
    }

    // ---- references ----

    private static bool TryLocalReference(ref Utf8JsonReader r, PageStrings s, out V1LocalObjectReference reference)
    {
        reference = new V1LocalObjectReference();
        if (r.TokenType != JsonTokenType.StartObject) return false;
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            if (!r.ValueTextEquals("name"u8) || !TryString(ref r, s, out var name)) return false;
            reference.Name = name;
        }
        return r.TokenType == JsonTokenType.EndObject;
    }

    private static bool TryObjectReference(ref Utf8JsonReader r, PageStrings s, out V1ObjectReference reference)
    {
        reference = new V1ObjectReference();
        if (r.TokenType != JsonTokenType.StartObject) return false;
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            bool ok;
            if (r.ValueTextEquals("name"u8)) { ok = TryString(ref r, s, out var v); reference.Name = v; }
            else if (r.ValueTextEquals("namespace"u8)) { ok = TryString(ref r, s, out var v); reference.NamespaceProperty = v; }
            else if (r.ValueTextEquals("kind"u8)) { ok = TryString(ref r, s, out var v); reference.Kind = v; }
            else if (r.ValueTextEquals("apiVersion"u8)) { ok = TryString(ref r, s, out var v); reference.ApiVersion = v; }
            else if (r.ValueTextEquals("uid"u8)) { ok = TryString(ref r, null, out var v); reference.Uid = v; }
            else if (r.ValueTextEquals("resourceVersion"u8)) { ok = TryString(ref r, null, out var v); reference.ResourceVersion = v; }
            else if (r.ValueTextEquals("fieldPath"u8)) { ok = TryString(ref r, s, out var v); reference.FieldPath = v; }
            else ok = false;
            if (!ok) return false;
        }
        return r.TokenType == JsonTokenType.EndObject;
    }

    // ---- values: each moves from a property name to its value ----

    /// <param name="s">Null for values unique per object (uid, resourceVersion): not worth sharing.</param>
    private static bool TryString(ref Utf8JsonReader r, PageStrings? s, out string? value)
    {
        value = null;
        if (!r.Read()) return false;
        if (r.TokenType == JsonTokenType.Null) return true;
        if (r.TokenType != JsonTokenType.String) return false;
        value = s is null ? r.GetString() : s.Shared(ref r);
        return true;
    }

    private static bool TryNamespaceName(ref Utf8JsonReader r, PageStrings s, out string? value)
    {
        value = null;
        if (!r.Read()) return false;
        if (r.TokenType == JsonTokenType.Null) return true;
        if (r.TokenType != JsonTokenType.String) return false;
        value = s.Namespace(ref r);
        return true;
    }

    private static bool TryStringItem(ref Utf8JsonReader r, PageStrings s, out string item)
    {
        item = r.TokenType == JsonTokenType.String ? s.Shared(ref r) : "";
        return r.TokenType == JsonTokenType.String;
    }

    private static bool TryBool(ref Utf8JsonReader r, out bool? value)
    {
        value = null;
        if (!r.Read()) return false;
        if (r.TokenType is JsonTokenType.True or JsonTokenType.False) value = r.GetBoolean();
        return r.TokenType is JsonTokenType.True or JsonTokenType.False or JsonTokenType.Null;
    }

    private static bool TryLong(ref Utf8JsonReader r, out long? value)
    {
        value = null;
        if (!r.Read()) return false;
        if (r.TokenType == JsonTokenType.Null) return true;
        if (r.TokenType != JsonTokenType.Number || !r.TryGetInt64(out var number)) return false;
        value = number;
        return true;
    }

    /// <summary>With the library's own converter, so the value is exactly what its typed decode gives.</summary>
    private static bool TryTimestamp(ref Utf8JsonReader r, out DateTime? value)
    {
        value = null;
        if (!r.Read()) return false;
        if (r.TokenType == JsonTokenType.Null) return true;
        if (r.TokenType != JsonTokenType.String) return false;
        if (!r.ValueIsEscaped && TryWholeSeconds(r.ValueSpan, out var utc))
        {
            value = utc;
            return true;
        }
        try
        {
            value = Timestamps.Read(ref r, typeof(DateTime), NoOptions);
            return true;
        }
        catch (FormatException)
        {
            return false; // the typed decode reports it
        }
    }

    /// <summary>The form the API server writes (<c>2026-11-30T10:00:00Z</c>) without the converter's string and format list.</summary>
    private static bool TryWholeSeconds(ReadOnlySpan<byte> text, out DateTime value)
    {
        value = default;
        if (text.Length != 20 || text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' || text[16] != ':' || text[19] != 'Z') return false;
        if (!TryDigits(text[..4], out var year) || !TryDigits(text[5..7], out var month) || !TryDigits(text[8..10], out var day) ||
            !TryDigits(text[11..13], out var hour) || !TryDigits(text[14..16], out var minute) || !TryDigits(text[17..19], out var second)) return false;
        if (month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(Math.Max(year, 1), month) || hour > 23 || minute > 59 || second > 59 || year < 1) return false;
        value = new DateTime(year, month, day, hour, minute, second, DateTimeKind.Utc);
        return true;
    }

    private static bool TryDigits(ReadOnlySpan<byte> text, out int value)
    {
        value = 0;
        foreach (var c in text)
        {
            if (c is < (byte)'0' or > (byte)'9') return false;
            value = (value * 10) + (c - '0');
        }
        return true;
    }

    private static bool TryStringMap(ref Utf8JsonReader r, PageStrings s, out IDictionary<string, string>? map)
    {
        map = null;
        if (!r.Read()) return false;
        if (r.TokenType == JsonTokenType.Null) return true;
        if (r.TokenType != JsonTokenType.StartObject) return false;
        s.StringMaps.Begin();
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            var key = s.Shared(ref r);
            if (!r.Read() || r.TokenType != JsonTokenType.String) return false;
            s.StringMaps.Add(key, s.Shared(ref r));
        }
        if (r.TokenType != JsonTokenType.EndObject) return false;
        map = s.StringMaps.Complete();
        return true;
    }

    private static bool TryBytesMap(ref Utf8JsonReader r, PageStrings s, out IDictionary<string, byte[]>? map)
    {
        map = null;
        if (!r.Read()) return false;
        if (r.TokenType == JsonTokenType.Null) return true;
        if (r.TokenType != JsonTokenType.StartObject) return false;
        s.BytesMaps.Begin();
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            var key = s.Shared(ref r);
            if (!r.Read() || r.TokenType != JsonTokenType.String) return false;
            try
            {
                s.BytesMaps.Add(key, s.SharedBase64(ref r));
            }
            catch (FormatException)
            {
                return false; // the typed decode reports it
            }
        }
        if (r.TokenType != JsonTokenType.EndObject) return false;
        map = s.BytesMaps.Complete();
        return true;
    }

    private static bool TryList<T>(ref Utf8JsonReader r, PageStrings s, Item<T> item, out IList<T>? list)
    {
        list = null;
        if (!r.Read()) return false;
        if (r.TokenType == JsonTokenType.Null) return true;
        if (r.TokenType != JsonTokenType.StartArray) return false;
        var values = new List<T>();
        while (r.Read() && r.TokenType != JsonTokenType.EndArray)
        {
            if (!item(ref r, s, out var value)) return false;
            values.Add(value);
        }
        list = values;
        return r.TokenType == JsonTokenType.EndArray;
    }
}
