using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace SecretRotator.Rotation;

/// <summary>What one registry contributed to a secret: its servers and when its token expires.</summary>
public sealed record SourceRecord(
    [property: JsonPropertyName("servers")] IReadOnlyList<string> Servers,
    [property: JsonPropertyName("expiresAt")] DateTimeOffset? ExpiresAt);

/// <summary>
/// The <c>secret-rotator.io/sources</c> annotation. It lets a later run keep a failed registry's previous
/// entries and skip a registry whose stored token is still fresh.
/// </summary>
public static class SecretSources
{
    private const int MaxShared = 1024;
    private static readonly ConcurrentDictionary<string, IReadOnlyDictionary<string, SourceRecord>?> Shared = new(StringComparer.Ordinal);

    public static string Serialize(IReadOnlyDictionary<string, SourceRecord> sources) =>
        JsonSerializer.Serialize(new SortedDictionary<string, SourceRecord>(sources.ToDictionary(), StringComparer.Ordinal), SecretSourcesJson.Default.SortedDictionaryStringSourceRecord);

    /// <summary>
    /// <see cref="Parse"/>, memoised by the annotation text: every namespace of a secret carries the same text, so a
    /// pass parses it once. The result is shared: read it, never change it.
    /// </summary>
    public static IReadOnlyDictionary<string, SourceRecord>? ParseShared(string? text)
    {
        if (string.IsNullOrEmpty(text)) return null;
        if (Shared.TryGetValue(text, out var known)) return known;
        // Full (a pathological pass): parsed, not kept. Emptied at the end of every pass (ContentMemos.Forget).
        return Shared.Count < MaxShared ? Shared.GetOrAdd(text, t => Parse(t)) : Parse(text);
    }

    internal static void Forget() => Shared.Clear();

    /// <summary>Null when absent or unreadable (treated as "nothing known", so everything is refreshed).</summary>
    public static Dictionary<string, SourceRecord>? Parse(string? text)
    {
        if (string.IsNullOrEmpty(text)) return null;
        try
        {
            // Annotations can be edited by hand: drop what cannot be a record rather than trip over it later.
            return JsonSerializer.Deserialize(text, SecretSourcesJson.Default.DictionaryStringSourceRecord)?
                .Where(kv => kv.Value is not null)
                .ToDictionary(kv => kv.Key, kv => kv.Value! with { Servers = (kv.Value.Servers ?? []).Where(s => !string.IsNullOrEmpty(s)).ToList() }, StringComparer.Ordinal);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public static string FormatTime(DateTimeOffset time) =>
        time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}

/// <summary>Source-generated (reflection-free, trimming- and AOT-safe) JSON for the sources annotation.</summary>
[JsonSerializable(typeof(SortedDictionary<string, SourceRecord>))]
[JsonSerializable(typeof(Dictionary<string, SourceRecord?>))]
internal sealed partial class SecretSourcesJson : JsonSerializerContext;
