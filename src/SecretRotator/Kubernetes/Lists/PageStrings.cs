using System.Collections.ObjectModel;
using System.Text.Json;

namespace SecretRotator.Kubernetes.Lists;

/// <summary>
/// One page's shared strings and data values. A page of managed secrets repeats the same labels, annotations and
/// <c>.dockerconfigjson</c> in every namespace: each distinct value is allocated (and base64-decoded) once per page
/// instead of once per item; so is each distinct labels or annotations map (read-only, so a change throws instead of
/// reaching every object that shares it). Values are shared between objects, which is safe because listed objects
/// are never changed (writes build new objects or copies). Not thread-safe: one instance per page.
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

    // Maps up to this size are matched against the last few distinct ones (a page alternates between few shapes;
    // namespace labels, unique by kubernetes.io/metadata.name, miss at the first pair).
    public const int MaxSharedMapSize = 16;
    private const int RecentMaps = 8;
    private readonly (string Key, string Value)[][] _recentPairs = new (string, string)[RecentMaps][];
    private readonly IDictionary<string, string>[] _recentMaps = new IDictionary<string, string>[RecentMaps];
    private int _recentCount;
    private int _nextRecent;

    public PageStrings() => _lookup = _strings.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>Scratch space for the pairs of the map being read (see <see cref="SharedMap"/>).</summary>
    public (string Key, string Value)[] MapPairs { get; } = new (string, string)[MaxSharedMapSize];

    /// <summary>The map of the first <paramref name="count"/> <see cref="MapPairs"/> (later duplicate keys win, as in a
    /// decode), shared with an earlier map of the same pairs in the same order.</summary>
    public IDictionary<string, string> SharedMap(int count)
    {
        var pairs = MapPairs.AsSpan(0, count);
        for (var i = 0; i < _recentCount; i++)
        {
            if (pairs.SequenceEqual(_recentPairs[i])) return _recentMaps[i];
        }
        var map = new Dictionary<string, string>(count, StringComparer.Ordinal);
        foreach (var (key, value) in pairs) map[key] = value;
        var shared = new ReadOnlyDictionary<string, string>(map);
        _recentPairs[_nextRecent] = pairs.ToArray();
        _recentMaps[_nextRecent] = shared;
        _nextRecent = (_nextRecent + 1) % RecentMaps;
        _recentCount = Math.Min(_recentCount + 1, RecentMaps);
        return shared;
    }

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
