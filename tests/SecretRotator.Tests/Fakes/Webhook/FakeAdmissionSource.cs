using System.Collections.Concurrent;
using k8s.Models;
using SecretRotator.Configuration;
using SecretRotator.Webhook;

namespace SecretRotator.Tests.Fakes.Webhook;

/// <summary>
/// An in-memory <see cref="IAdmissionSecretSource"/>: namespaces with labels, the servers each target's secret holds,
/// and which (secret, namespace) exist. Records every ensure, so a test can tell a create from a dry run.
/// </summary>
public sealed class FakeAdmissionSource : IAdmissionSecretSource
{
    public Dictionary<string, V1Namespace> Namespaces { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, IReadOnlyList<string>> Servers { get; } = new(StringComparer.Ordinal);
    public ConcurrentDictionary<(string Secret, string Namespace), bool> Existing { get; } = new();
    public ConcurrentQueue<(string Secret, string Namespace, bool DryRun)> Ensures { get; } = new();
    public ConcurrentQueue<(string Secret, string Namespace)> Creates { get; } = new();

    /// <summary>When set, every ensure fails with this error.</summary>
    public string? FailWith { get; set; }

    public void AddNamespace(string name, Dictionary<string, string>? labels = null) =>
        Namespaces[name] = new V1Namespace { Metadata = new V1ObjectMeta { Name = name, Labels = labels } };

    public ValueTask<V1Namespace?> NamespaceAsync(string name, CancellationToken cancellationToken) =>
        ValueTask.FromResult(Namespaces.GetValueOrDefault(name));

    public ValueTask<IReadOnlyList<string>> ServersAsync(SecretTarget target, CancellationToken cancellationToken) =>
        ValueTask.FromResult(Servers.GetValueOrDefault(target.Name) ?? []);

    public ValueTask<Ensured> EnsureAsync(SecretTarget target, string ns, bool dryRun, CancellationToken cancellationToken)
    {
        Ensures.Enqueue((target.Name, ns, dryRun));
        if (FailWith is { } error) return ValueTask.FromResult(Ensured.Failed(error));
        if (Existing.ContainsKey((target.Name, ns))) return ValueTask.FromResult(Ensured.Present);
        if (dryRun) return ValueTask.FromResult(Ensured.WouldCreate);
        Existing[(target.Name, ns)] = true;
        Creates.Enqueue((target.Name, ns));
        return ValueTask.FromResult(Ensured.Created);
    }
}
