using System.Text.Json;

namespace SecretRotator.Kubernetes.Lists;

/// <summary>
/// One page's shared strings and data values. A page of managed secrets repeats the same labels, annotations and
/// <c>.dockerconfigjson</c> in every namespace: each distinct value is allocated (and base64-decoded) once per page
/// instead of once per item. Values are shared between objects, which is safe because listed objects are never
/// changed (writes build new objects). Not thread-safe: one instance per page.
/// </summary>
internal sealed class PageStrings
{
    // Longer values (and unique ones such as uid) are not worth a lookup.
    private const int MaxInternedChars = 256;
    private const int MaxEntries = 4096;
    private const int MaxSharedBytes = 64 * 1024;

    private readonly Dictionary<string, string> _strings = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly Dictionary<int, (byte[] Encoded, byte[] Decoded)> _bytes = [];

    public PageStrings() => _lookup = _strings.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>The current string token, shared with earlier equal ones.</summary>
    public string Shared(ref Utf8JsonReader reader)
    {
        if (reader.ValueSpan.Length > MaxInternedChars) return reader.GetString()!;
        Span<char> chars = stackalloc char[MaxInternedChars];
        var text = chars[..reader.CopyString(chars)];
        if (_lookup.TryGetValue(text, out var known)) return known;
        var created = text.ToString();
        if (_strings.Count < MaxEntries) _strings[created] = created;
        return created;
    }

    /// <summary>The current base64 string token decoded, shared with earlier tokens of the same text.</summary>
    public byte[] SharedBase64(ref Utf8JsonReader reader)
    {
        var encoded = reader.ValueSpan;
        if (encoded.Length > MaxSharedBytes || reader.ValueIsEscaped) return reader.GetBytesFromBase64();
        var hash = new HashCode();
        hash.AddBytes(encoded);
        var key = hash.ToHashCode();
        if (_bytes.TryGetValue(key, out var known) && known.Encoded.AsSpan().SequenceEqual(encoded)) return known.Decoded;
        var decoded = reader.GetBytesFromBase64();
        if (_bytes.Count < MaxEntries) _bytes.TryAdd(key, (encoded.ToArray(), decoded));
        return decoded;
    }
}
