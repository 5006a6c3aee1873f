using System.Collections.Concurrent;
using System.Collections.ObjectModel;
using System.Security.Cryptography;
using k8s;
using k8s.Models;
using SecretRotator.Configuration;
using SecretRotator.Kubernetes;
using SecretRotator.Registries;

namespace SecretRotator.Rotation;

/// <summary>The Secret a target should have in one namespace, and which registries could not contribute.</summary>
public sealed record DesiredSecret(V1Secret Secret, IReadOnlyList<string> MissingRegistries, bool HasEntries);

/// <summary>
/// Builds desired Secrets. A registry without a fresh credential (failed, or skipped because still fresh)
/// keeps the entries it had in the existing secret: a working credential is never dropped or blanked.
/// </summary>
public static class SecretBuilder
{
    public static DesiredSecret Build(
        SecretTarget target,
        string @namespace,
        IReadOnlyDictionary<string, RegistryCredential> fresh,
        V1Secret? existing,
        DateTimeOffset now,
        string instance = "default")
    {
        var content = ContentFor(target, fresh, existing);
        var shared = content.SharedFor(instance, now);
        var secret = new V1Secret
        {
            ApiVersion = "v1",
            Kind = "Secret",
            Type = ManagedSecret.SecretType,
            Metadata = new V1ObjectMeta
            {
                Name = target.Name,
                NamespaceProperty = @namespace,
                Labels = shared.Labels,
                Annotations = shared.Annotations,
            },
            Data = shared.Data,
        };
        return new DesiredSecret(secret, content.Missing, content.HasEntries);
    }

    /// <summary>What a secret holds, apart from its namespace and rotation time.</summary>
    private sealed record Content(byte[] Data, string Hash, string Registries, string Sources, DateTimeOffset? Expiry, IReadOnlyList<string> Missing, bool HasEntries)
    {
        private SharedParts? _shared;

        /// <summary>
        /// Labels, annotations and data of every namespace's copy, for one instance and rotation time (one per pass).
        /// Read-only: the same dictionaries go into each namespace's desired secret, and a write copies them.
        /// </summary>
        public SharedParts SharedFor(string instance, DateTimeOffset now)
        {
            var shared = Volatile.Read(ref _shared);
            if (shared is not null && shared.Instance == instance && shared.Now == now) return shared;
            var annotations = new Dictionary<string, string>
            {
                [ManagedSecret.RegistriesAnnotation] = Registries,
                [ManagedSecret.SourcesAnnotation] = Sources,
                [ManagedSecret.ContentHashAnnotation] = Hash,
                [ManagedSecret.RotatedAtAnnotation] = SecretSources.FormatTime(now),
            };
            if (Expiry is { } e) annotations[ManagedSecret.ExpiresAtAnnotation] = SecretSources.FormatTime(e);
            shared = new SharedParts(instance, now,
                new ReadOnlyDictionary<string, string>(new Dictionary<string, string>
                {
                    [ManagedSecret.ManagedByLabel] = ManagedSecret.ManagedByValue,
                    [ManagedSecret.InstanceLabel] = instance,
                }),
                new ReadOnlyDictionary<string, string>(annotations),
                new ReadOnlyDictionary<string, byte[]>(new Dictionary<string, byte[]> { [ManagedSecret.DataKey] = Data }));
            Volatile.Write(ref _shared, shared);
            return shared;
        }
    }

    private sealed record SharedParts(string Instance, DateTimeOffset Now, IDictionary<string, string> Labels, IDictionary<string, string> Annotations, IDictionary<string, byte[]> Data);

    // The content depends only on the target, the fresh credentials it uses and what the stored secret carries over,
    // which in a pass are the same for every namespace of a secret: built (JSON, hash, sources annotation) once, not
    // once per namespace. Bounded like the other memos (once full, built and not kept) and emptied at the end of every
    // pass (ContentMemos.Forget): it holds credential bytes, which must not outlive the pass that wrote them.
    private const int MaxContents = 1024;
    private static readonly ConcurrentDictionary<ContentKey, Content> Contents = new();

    private static Content ContentFor(SecretTarget target, IReadOnlyDictionary<string, RegistryCredential> fresh, V1Secret? existing)
    {
        var previousSources = existing?.GetAnnotation(ManagedSecret.SourcesAnnotation);
        var previousData = existing?.Data is { } d && d.TryGetValue(ManagedSecret.DataKey, out var b) ? b : null;
        var facts = previousData is null ? null : StoredSecretFacts.Of(previousData);
        var credentials = new RegistryCredential?[target.Registries.Count];
        for (var i = 0; i < credentials.Length; i++) credentials[i] = fresh.GetValueOrDefault(target.Registries[i]);
        var key = new ContentKey(target, previousSources, facts, credentials);
        if (Contents.TryGetValue(key, out var known)) return known;
        var content = Compute(target, fresh, SecretSources.ParseShared(previousSources), facts?.Entries);
        if (Contents.Count < MaxContents) Contents.TryAdd(key, content);
        return content;
    }

    internal static void Forget() => Contents.Clear();

    private static Content Compute(SecretTarget target, IReadOnlyDictionary<string, RegistryCredential> fresh,
        IReadOnlyDictionary<string, SourceRecord>? previousSources, IReadOnlyDictionary<string, DockerAuthEntry>? previousEntries)
    {
        var entries = new List<DockerAuthEntry>();
        var sources = new Dictionary<string, SourceRecord>(StringComparer.Ordinal);
        var missing = new List<string>();
        foreach (var registry in target.Registries)
        {
            if (fresh.TryGetValue(registry, out var credential))
            {
                entries.AddRange(credential.Entries);
                sources[registry] = new SourceRecord(credential.Entries.Select(e => e.Server).ToList(), credential.ExpiresAt);
                continue;
            }
            // Carry the previous entries over only when every one of them is still present and readable.
            if (previousSources?.GetValueOrDefault(registry) is { Servers.Count: > 0 } previous && previousEntries is not null &&
                previous.Servers.All(previousEntries.ContainsKey))
            {
                entries.AddRange(previous.Servers.Select(s => previousEntries[s]));
                sources[registry] = previous;
                continue;
            }
            missing.Add(registry);
        }

        var data = DockerConfigJson.Build(entries);
        var expiry = sources.Values.Select(s => s.ExpiresAt).Where(e => e.HasValue).Min();
        return new Content(data, Hash(data), string.Join(",", target.Registries), SecretSources.Serialize(sources), expiry, missing, entries.Count > 0);
    }

    /// <summary>Target, carried-over annotation and content, and the fresh credentials by reference (a new fetch is a new object).</summary>
    private sealed class ContentKey(SecretTarget target, string? sources, StoredSecretFacts? stored, RegistryCredential?[] credentials) : IEquatable<ContentKey>
    {
        private readonly SecretTarget _target = target;
        private readonly string? _sources = sources;
        private readonly StoredSecretFacts? _stored = stored;
        private readonly RegistryCredential?[] _credentials = credentials;

        public bool Equals(ContentKey? other) =>
            other is not null && ReferenceEquals(_target, other._target) && ReferenceEquals(_stored, other._stored) &&
            string.Equals(_sources, other._sources, StringComparison.Ordinal) &&
            _credentials.AsSpan().SequenceEqual(other._credentials, ReferenceEqualityComparer.Instance);

        public override bool Equals(object? obj) => Equals(obj as ContentKey);

        public override int GetHashCode()
        {
            var hash = new HashCode();
            hash.Add(System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(_target));
            hash.Add(_sources, StringComparer.Ordinal);
            hash.Add(_stored is null ? 0 : System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(_stored));
            foreach (var c in _credentials) hash.Add(c is null ? 0 : System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(c));
            return hash.ToHashCode();
        }
    }

    /// <summary>
    /// True when the existing secret already holds what we would write: same type, data and our metadata.
    /// rotated-at is ignored, so an identical rewrite is skipped and the secret keeps its rotation time.
    /// </summary>
    public static bool IsUpToDate(V1Secret existing, V1Secret desired) =>
        existing.Type == desired.Type && SameData(existing, desired) && SameMetadata(existing, desired);

    /// <summary>
    /// A copy of the existing object with our labels, annotations, type and data overlaid, keeping everything else the
    /// owner added. The existing object is not changed: it may be shared by a listing or a watch cache.
    /// </summary>
    public static V1Secret MergeInto(V1Secret listed, V1Secret desired)
    {
        var existing = KubernetesJson.Deserialize<V1Secret>(KubernetesJson.Serialize(listed));
        existing.Metadata.Labels ??= new Dictionary<string, string>();
        foreach (var (k, v) in desired.Metadata.Labels) existing.Metadata.Labels[k] = v;
        existing.Metadata.Annotations ??= new Dictionary<string, string>();
        foreach (var (k, v) in desired.Metadata.Annotations) existing.Metadata.Annotations[k] = v;
        if (!desired.Metadata.Annotations.ContainsKey(ManagedSecret.ExpiresAtAnnotation))
            existing.Metadata.Annotations.Remove(ManagedSecret.ExpiresAtAnnotation);
        existing.Type = desired.Type;
        existing.Data = desired.Data;
        existing.StringData = null;
        return existing;
    }

    private static bool SameData(V1Secret existing, V1Secret desired) =>
        existing.Data is { Count: 1 } data && data.TryGetValue(ManagedSecret.DataKey, out var bytes) &&
        bytes.AsSpan().SequenceEqual(desired.Data[ManagedSecret.DataKey]);

    private static bool SameMetadata(V1Secret existing, V1Secret desired)
    {
        foreach (var (k, v) in desired.Metadata.Labels)
        {
            if (existing.GetLabel(k) != v) return false;
        }
        foreach (var (k, v) in desired.Metadata.Annotations)
        {
            if (k == ManagedSecret.RotatedAtAnnotation) continue;
            if (existing.GetAnnotation(k) != v) return false;
        }
        return desired.Metadata.Annotations.ContainsKey(ManagedSecret.ExpiresAtAnnotation) ||
               existing.GetAnnotation(ManagedSecret.ExpiresAtAnnotation) is null;
    }

    public static string Hash(byte[] data) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(data));
}
