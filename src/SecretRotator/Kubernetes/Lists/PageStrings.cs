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

    public PageStrings() => _lookup = _strings.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>The labels or annotations map being read: <see cref="RecentMaps{TValue}.Begin"/>, <c>Add</c> each pair,
    /// then <c>Complete</c> gives it, shared with an earlier map of the same pairs in the same order.</summary>
    public RecentMaps<string> StringMaps { get; } = new();

    /// <summary>As <see cref="StringMaps"/>, for data: values compare by reference, as equal ones are already shared.</summary>
    public RecentMaps<byte[]> BytesMaps { get; } = new();

    /// <summary>One map at a time (maps do not nest in these objects); the last few distinct ones are kept to share.</summary>
    internal sealed class RecentMaps<TValue>
    {
        private const int Capacity = 8;
        private readonly (string Key, TValue Value)[][] _pairs = new (string, TValue)[Capacity][];
        private readonly IDictionary<string, TValue>[] _maps = new IDictionary<string, TValue>[Capacity];
        private readonly (string Key, TValue Value)[] _reading = new (string, TValue)[MaxSharedMapSize];
        private int _readCount;
        private Dictionary<string, TValue>? _large; // more pairs than are worth sharing: a map of its own
        private int _count;
        private int _next;

        public void Begin()
        {
            _readCount = 0;
            _large = null;
        }

        public void Add(string key, TValue value)
        {
            if (_large is not null) _large[key] = value;
            else if (_readCount < _reading.Length) _reading[_readCount++] = (key, value);
            else
            {
                _large = new Dictionary<string, TValue>(StringComparer.Ordinal);
                foreach (var (k, v) in _reading) _large[k] = v;
                _large[key] = value;
            }
        }

        /// <summary>The map read since <see cref="Begin"/> (later duplicate keys win, as in a decode).</summary>
        public IDictionary<string, TValue> Complete()
        {
            if (_large is not null) return _large;
            var pairs = _reading.AsSpan(0, _readCount);
            for (var i = 0; i < _count; i++)
            {
                if (pairs.SequenceEqual(_pairs[i])) return _maps[i];
            }
            var map = new Dictionary<string, TValue>(pairs.Length, StringComparer.Ordinal);
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

    private string? _namespace;

    /// <summary>
    /// The current token as a namespace name, shared with the previous item's when equal: a LIST comes in namespace
    /// order, so the objects of one namespace are adjacent. Kept out of <see cref="Shared"/>'s table, which a page of
    /// 500 different namespaces would only fill and grow.
    /// </summary>
    public string Namespace(ref Utf8JsonReader reader) =>
        _namespace is { } previous && reader.ValueTextEquals(previous) ? previous : _namespace = reader.GetString()!;

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
