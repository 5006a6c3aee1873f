using System.Globalization;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace SecretRotator.Tests.Fakes.Kubernetes;

/// <summary>One committed change, as a watch sees it. <see cref="Previous"/> lets a filtered watch turn MODIFIED into ADDED/DELETED.</summary>
internal sealed record StoredEvent(string Type, KubeResource Resource, long ResourceVersion, JsonObject? Previous, JsonObject Object)
{
    /// <summary>Not a change: a progress marker for one watch stream (see <see cref="FakeKubeStore.WatchSubscription.RequestBookmark"/>).</summary>
    public const string Bookmark = "BOOKMARK";
}

/// <summary>
/// The fake's etcd: objects as the JSON the apiserver stores, one global resourceVersion counter, an event history for
/// watches. All access under one lock; callers always get deep copies.
/// </summary>
internal sealed class FakeKubeStore(TimeProvider time)
{
    private readonly Lock _gate = new();
    private readonly SortedDictionary<(string Resource, string Namespace, string Name), JsonObject> _objects = new(OrdinalKeys.Instance);
    private readonly List<StoredEvent> _history = [];
    private readonly List<Channel<StoredEvent>> _watchers = [];
    private long _resourceVersion = 100;
    private long _compactedThrough;

    /// <summary>Mirror the ServiceAccount controller: every new namespace gets a "default" service account.</summary>
    public bool CreateDefaultServiceAccount { get; set; } = true;

    public long ResourceVersion
    {
        get { lock (_gate) { return _resourceVersion; } }
    }

    public JsonObject? Get(KubeResource resource, string? ns, string name)
    {
        lock (_gate)
        {
            return _objects.TryGetValue(Key(resource, ns, name), out var obj) ? Clone(obj) : null;
        }
    }

    /// <summary>Objects in key order (namespace, then name), like etcd range reads; <paramref name="ns"/> null = all namespaces.</summary>
    public (List<JsonObject> Items, long ResourceVersion) List(KubeResource resource, string? ns)
    {
        var (items, resourceVersion, _) = ListPage(resource, o => ns is null || o["metadata"]?["namespace"]?.GetValue<string>() == ns, after: null, limit: null);
        return (items, resourceVersion);
    }

    /// <summary>
    /// One LIST page: the objects after <paramref name="after"/> (namespace, name) that pass <paramref name="filter"/>, at most
    /// <paramref name="limit"/>, and how many more match. Only the page is copied: the filter reads the stored objects,
    /// so a 500-item page of 10,000 secrets costs 500 copies, not 10,000, as the apiserver's watch cache serves it.
    /// </summary>
    public (List<JsonObject> Items, long ResourceVersion, int Remaining) ListPage(KubeResource resource, Func<JsonObject, bool> filter,
        (string Namespace, string Name)? after, int? limit)
    {
        lock (_gate)
        {
            var items = new List<JsonObject>();
            var remaining = 0;
            foreach (var (key, obj) in _objects)
            {
                if (key.Resource != resource.Plural) continue;
                if (after is { } a && OrdinalKeys.Compare((key.Namespace, key.Name), a) <= 0) continue;
                if (!filter(obj)) continue;
                if (limit is { } max && items.Count == max) remaining++;
                else items.Add(Clone(obj));
            }
            return (items, _resourceVersion, remaining);
        }
    }

    public JsonObject Create(KubeResource resource, string? ns, JsonObject obj)
    {
        lock (_gate)
        {
            var metadata = (JsonObject)obj["metadata"]!;
            var name = metadata["name"]!.GetValue<string>();
            if (resource.Namespaced && !_objects.ContainsKey(Key(KubeResource.Namespaces, null, ns!)))
            {
                throw KubeStatus.NotFound("namespaces", ns!);
            }
            var key = Key(resource, ns, name);
            if (_objects.ContainsKey(key))
            {
                throw KubeStatus.AlreadyExists(resource.Plural, name);
            }
            resource.Normalize(obj, name);
            resource.ValidateCreate(obj, name);
            if (resource.Namespaced)
            {
                metadata["namespace"] = ns;
            }
            metadata["uid"] = Guid.NewGuid().ToString();
            metadata["creationTimestamp"] = time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
            ManagedFields.Stamp(obj, time.GetUtcNow());
            Commit("ADDED", resource, key, null, obj);
            if (resource == KubeResource.Namespaces && CreateDefaultServiceAccount)
            {
                Create(KubeResource.ServiceAccounts, name, new JsonObject { ["metadata"] = new JsonObject { ["name"] = "default" } });
            }
            return Clone(obj);
        }
    }

    /// <summary>
    /// Read-modify-write under the lock. <paramref name="change"/> gets a copy of the current object and returns the new one
    /// (it may throw Conflict/Invalid). Identity fields are kept; an update that changes nothing is not a write.
    /// </summary>
    public JsonObject Update(KubeResource resource, string? ns, string name, Func<JsonObject, JsonObject> change)
    {
        lock (_gate)
        {
            var key = Key(resource, ns, name);
            if (!_objects.TryGetValue(key, out var current))
            {
                throw KubeStatus.NotFound(resource.Plural, name);
            }
            var updated = change(Clone(current));
            var metadata = updated["metadata"] as JsonObject ?? [];
            updated["metadata"] = metadata;
            var currentMetadata = (JsonObject)current["metadata"]!;
            foreach (var field in new[] { "name", "namespace", "uid", "creationTimestamp", "resourceVersion" })
            {
                metadata[field] = currentMetadata[field]?.DeepClone();
            }
            resource.Normalize(updated, name);
            resource.ValidateUpdate(current, updated, name);
            ManagedFields.Keep(updated, current);
            if (JsonNode.DeepEquals(current, updated))
            {
                return Clone(current);
            }
            ManagedFields.Stamp(updated, time.GetUtcNow());
            Commit("MODIFIED", resource, key, current, updated);
            return Clone(updated);
        }
    }

    public JsonObject Delete(KubeResource resource, string? ns, string name)
    {
        lock (_gate)
        {
            var key = Key(resource, ns, name);
            if (!_objects.TryGetValue(key, out var current))
            {
                throw KubeStatus.NotFound(resource.Plural, name);
            }
            if (resource == KubeResource.Namespaces)
            {
                // The namespace controller's cleanup, done at once instead of via the Terminating phase.
                foreach (var child in _objects.Keys.Where(k => k.Namespace == name && k.Resource != resource.Plural).ToList())
                {
                    Remove(KubeResource.Find(child.Resource)!, child);
                }
            }
            return Remove(resource, key);
        }
    }

    /// <summary>Ends every open watch stream cleanly, as an apiserver restart or a load balancer's idle timeout does.</summary>
    public void EndWatches()
    {
        lock (_gate)
        {
            foreach (var watcher in _watchers)
            {
                watcher.Writer.TryComplete();
            }
            _watchers.Clear();
        }
    }

    /// <summary>Forget history, so a watch from an older resourceVersion gets 410 Expired, as after etcd compaction.</summary>
    public void Compact()
    {
        lock (_gate)
        {
            _history.Clear();
            _compactedThrough = _resourceVersion;
        }
    }

    /// <summary>
    /// Starts a watch: the initial events (synthetic ADDED for everything when <paramref name="fromVersion"/> is null/0,
    /// else the history after it) followed by live events. Throws 410 when the version has been compacted.
    /// </summary>
    public (List<StoredEvent> Initial, ChannelReader<StoredEvent> Live, WatchSubscription Subscription) Watch(KubeResource resource, long? fromVersion)
    {
        lock (_gate)
        {
            List<StoredEvent> initial;
            if (fromVersion is null or 0)
            {
                initial = _objects.Where(e => e.Key.Resource == resource.Plural)
                    .Select(e => new StoredEvent("ADDED", resource, ResourceVersionOf(e.Value), null, Clone(e.Value)))
                    .ToList();
            }
            else if (fromVersion < _compactedThrough)
            {
                throw new KubeStatusException(410, KubeStatus.Expired(fromVersion.Value, _compactedThrough));
            }
            else
            {
                initial = _history.Where(e => e.Resource == resource && e.ResourceVersion > fromVersion).ToList();
            }
            var channel = Channel.CreateUnbounded<StoredEvent>();
            _watchers.Add(channel);
            return (initial, channel.Reader, new WatchSubscription(this, resource, channel));
        }
    }

    private JsonObject Remove(KubeResource resource, (string, string, string) key)
    {
        var current = _objects[key];
        var deleted = Clone(current);
        Commit("DELETED", resource, key, current, deleted);
        _objects.Remove(key);
        return Clone(deleted);
    }

    private void Commit(string type, KubeResource resource, (string, string, string) key, JsonObject? previous, JsonObject obj)
    {
        _resourceVersion++;
        ((JsonObject)obj["metadata"]!)["resourceVersion"] = _resourceVersion.ToString(CultureInfo.InvariantCulture);
        if (type != "DELETED")
        {
            _objects[key] = obj;
        }
        var stored = new StoredEvent(type, resource, _resourceVersion, previous is null ? null : Clone(previous), Clone(obj));
        _history.Add(stored);
        foreach (var watcher in _watchers)
        {
            watcher.Writer.TryWrite(stored);
        }
    }

    private static long ResourceVersionOf(JsonObject obj) =>
        long.Parse(obj["metadata"]!["resourceVersion"]!.GetValue<string>(), CultureInfo.InvariantCulture);

    private static (string, string, string) Key(KubeResource resource, string? ns, string name) =>
        (resource.Plural, resource.Namespaced ? ns ?? "" : "", name);

    private static JsonObject Clone(JsonObject obj) => (JsonObject)obj.DeepClone();

    /// <summary>etcd orders keys by bytes: ordinal, resource then namespace then name.</summary>
    private sealed class OrdinalKeys : IComparer<(string Resource, string Namespace, string Name)>
    {
        public static readonly OrdinalKeys Instance = new();

        public int Compare((string Resource, string Namespace, string Name) x, (string Resource, string Namespace, string Name) y)
        {
            var c = string.CompareOrdinal(x.Resource, y.Resource);
            return c != 0 ? c : Compare((x.Namespace, x.Name), (y.Namespace, y.Name));
        }

        public static int Compare((string Namespace, string Name) x, (string Namespace, string Name) y)
        {
            var c = string.CompareOrdinal(x.Namespace, y.Namespace);
            return c != 0 ? c : string.CompareOrdinal(x.Name, y.Name);
        }
    }

    /// <summary>An open watch's place in the event stream: bookmarks go through it, in order with the changes.</summary>
    internal sealed class WatchSubscription(FakeKubeStore store, KubeResource resource, Channel<StoredEvent> channel) : IDisposable
    {
        /// <summary>
        /// Queues a BOOKMARK at the current resourceVersion behind every change already queued, under the commit lock: as
        /// with the apiserver, a client that has read the bookmark has seen every change up to its version.
        /// </summary>
        public void RequestBookmark()
        {
            lock (store._gate)
            {
                var version = store._resourceVersion;
                var metadata = new JsonObject { ["resourceVersion"] = version.ToString(CultureInfo.InvariantCulture) };
                var stub = new JsonObject { ["kind"] = resource.Kind, ["apiVersion"] = resource.ApiVersion, ["metadata"] = metadata };
                channel.Writer.TryWrite(new StoredEvent(StoredEvent.Bookmark, resource, version, null, stub));
            }
        }

        public void Dispose()
        {
            lock (store._gate)
            {
                store._watchers.Remove(channel);
            }
            channel.Writer.TryComplete();
        }
    }
}
