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

    private readonly RecentMaps<string> _stringMaps = new();
    private readonly RecentMaps<byte[]> _bytesMaps = new();

    public PageStrings() => _lookup = _strings.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>Scratch space for the pairs of the labels or annotations map being read (see <see cref="SharedMap"/>).</summary>
    public (string Key, string Value)[] MapPairs => _stringMaps.Pairs;

    /// <summary>Scratch space for the pairs of the data map being read (see <see cref="SharedBytesMap"/>).</summary>
    public (string Key, byte[] Value)[] BytesMapPairs => _bytesMaps.Pairs;

    /// <summary>The map of the first <paramref name="count"/> <see cref="MapPairs"/> (later duplicate keys win, as in a
    /// decode), shared with an earlier map of the same pairs in the same order.</summary>
    public IDictionary<string, string> SharedMap(int count) => _stringMaps.Shared(count);

    /// <summary>As <see cref="SharedMap"/>, for data: values compare by reference, as equal ones are already shared.</summary>
    public IDictionary<string, byte[]> SharedBytesMap(int count) => _bytesMaps.Shared(count);

    private sealed class RecentMaps<TValue>
    {
        private const int Capacity = 8;
        private readonly (string Key, TValue Value)[][] _pairs = new (string, TValue)[Capacity][];
        private readonly IDictionary<string, TValue>[] _maps = new IDictionary<string, TValue>[Capacity];
        private int _count;
        private int _next;

        public (string Key, TValue Value)[] Pairs { get; } = new (string, TValue)[MaxSharedMapSize];

        public IDictionary<string, TValue> Shared(int count)
        {
            var pairs = Pairs.AsSpan(0, count);
            for (var i = 0; i < _count; i++)
            {
                if (pairs.SequenceEqual(_pairs[i])) return _maps[i];
            }
            var map = new Dictionary<string, TValue>(count, StringComparer.Ordinal);
            foreach (var (key, value) in pairs) map[key] = value;
            var shared = new ReadOnlyDictionary<string, TValue>(map);
            _pairs[_next] = pairs.ToArray();
            _maps[_next] = shared;
            _next = (_next + 1) % Capacity;
            _count = Math.Min(_count + 1, Capacity);
            return shared;
        }
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
