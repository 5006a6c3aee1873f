using System.Collections.Concurrent;
using k8s;
using k8s.Models;
using SecretRotator.Configuration;
using SecretRotator.Kubernetes;

namespace SecretRotator.Scheduling;

/// <summary>
/// What the watches have seen: namespaces, our managed secrets and the configured service accounts. Objects are stored as
/// received and never mutated (the shared reconciler and patcher copy before they change anything).
/// </summary>
public sealed class ClusterState(RotatorConfig config)
{
    private readonly HashSet<string> _accountNames = config.Secrets.SelectMany(t => t.ServiceAccounts).ToHashSet(StringComparer.Ordinal);

    public ConcurrentDictionary<string, V1Namespace> Namespaces { get; } = new(StringComparer.Ordinal);
    public ConcurrentDictionary<(string Namespace, string Name), V1Secret> Secrets { get; } = new();
    public ConcurrentDictionary<(string Namespace, string Name), V1ServiceAccount> ServiceAccounts { get; } = new();

    /// <summary>Set once every watch has listed: before that, events only fill the caches (the full pass that follows covers them).</summary>
    public bool Synced { get => Volatile.Read(ref _synced); set => Volatile.Write(ref _synced, value); }
    private bool _synced;

    public bool IsConfiguredAccount(string name) => _accountNames.Contains(name);

    public V1ServiceAccount? ServiceAccount(string ns, string name) => ServiceAccounts.TryGetValue((ns, name), out var sa) ? sa : null;

    /// <summary>Whether the target selects this namespace, decided locally with the API server's semantics.</summary>
    public static bool Selects(SecretTarget target, V1Namespace ns)
    {
        var name = ns.Metadata.Name;
        if (ns.Status?.Phase == "Terminating") return false;
        var selection = target.Namespaces;
        if (selection.Selector is { } selector && !LabelSelector.Matches(selector, ns.Metadata.Labels)) return false;
        return selection.AdmitsName(name);
    }

    /// <summary>Every (target, namespace) the config asks for, from the namespaces seen so far.</summary>
    public IEnumerable<ReconcileKey> AllKeys() =>
        from ns in Namespaces.Values
        from target in config.Secrets
        where Selects(target, ns)
        select new ReconcileKey(target.Name, ns.Metadata.Name);

    public void Clear()
    {
        Namespaces.Clear();
        Secrets.Clear();
        ServiceAccounts.Clear();
    }
}
