using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using SecretRotator.Kubernetes;
using SecretRotator.Registries;

namespace SecretRotator.Rotation;

/// <summary>
/// What a stored <c>.dockerconfigjson</c> holds (its entries, null if unreadable) and its content hash, worked out
/// once per distinct content. A steady-state pass reads the same bytes in every namespace of a secret, so at
/// 10,000 namespaces this turns 10,000 JSON parses and SHA-256 runs into one. The instance is canonical for its
/// content while it stays in the memo, so callers may use it as a cheap identity of the content.
/// </summary>
public sealed class StoredSecretFacts
{
    // A pass sees a handful of distinct contents per secret; the bound only stops a pathological cluster (every
    // namespace's copy different) from growing the memo: once full, a new content is worked out and not kept. The
    // memo lives one pass (ContentMemos.Forget), so no stored credential outlives the pass that read it here.
    private const int MaxEntries = 4096;
    private static readonly ConcurrentDictionary<byte[], StoredSecretFacts> Memo = new(ByteContentComparer.Instance);

    private StoredSecretFacts(IReadOnlyDictionary<string, DockerAuthEntry>? entries, string hash) => (Entries, Hash) = (entries, hash);

    /// <summary>The parsed entries (shared: never change them), or null when the bytes are not a usable dockerconfigjson.</summary>
    public IReadOnlyDictionary<string, DockerAuthEntry>? Entries { get; }

    /// <summary><c>sha256:</c> of the bytes, as in the content-hash annotation.</summary>
    public string Hash { get; }

    // The LIST decode hands every namespace's copy of one content the same array (never changed once listed), so the
    // array itself finds its facts without hashing a few KB per namespace. A few recent arrays by identity: no
    // per-object bookkeeping when arrays are not shared (a watch cache), and at most this many small arrays held.
    private sealed record Seen(byte[] Data, StoredSecretFacts Facts);
    private static readonly Seen?[] Recent = new Seen?[64];

    public static StoredSecretFacts Of(byte[] data)
    {
        var slot = RuntimeHelpers.GetHashCode(data) & (Recent.Length - 1);
        if (Volatile.Read(ref Recent[slot]) is { } seen && ReferenceEquals(seen.Data, data)) return seen.Facts;
        if (!Memo.TryGetValue(data, out var known))
        {
            known = new StoredSecretFacts(DockerConfigJson.TryParse(data), SecretBuilder.Hash(data));
            // Keyed by a private copy: the caller's array belongs to a listed object we must not hold on to as a key.
            if (Memo.Count < MaxEntries) known = Memo.GetOrAdd(data.ToArray(), known);
        }
        Volatile.Write(ref Recent[slot], new Seen(data, known));
        return known;
    }

    /// <summary>Drops every remembered content (the end of a pass).</summary>
    internal static void Forget()
    {
        Memo.Clear();
        for (var i = 0; i < Recent.Length; i++) Volatile.Write(ref Recent[i], null);
    }

    private sealed class ByteContentComparer : IEqualityComparer<byte[]>
    {
        public static readonly ByteContentComparer Instance = new();

        public bool Equals(byte[]? x, byte[]? y) => ReferenceEquals(x, y) || (x is not null && y is not null && x.AsSpan().SequenceEqual(y));

        public int GetHashCode(byte[] obj)
        {
            var hash = new HashCode();
            hash.AddBytes(obj);
            return hash.ToHashCode();
        }
    }
}
