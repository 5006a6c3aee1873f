using System.Buffers;
using System.Text.Json;
using k8s.Models;
using SecretRotator.Configuration;
using SecretRotator.Kubernetes;
using SecretRotator.Kubernetes.Keyring;
using SecretRotator.Scheduling;
using SecretRotator.Telemetry;

namespace SecretRotator.Webhook;

/// <summary>What the webhook answers: the outcome label (<see cref="AdmissionOutcomes"/>) and the patch, if any.</summary>
public sealed record Mutation(string Outcome, byte[]? Patch = null, string? Error = null);

/// <summary>
/// Decides the patch for a Pod or ServiceAccount CREATE. A pod gets every selected target whose secret serves one of its
/// images (kubelet's keyring matching, as in <c>explain</c>, so a pod pulling only public images gets nothing); a service
/// account gets the targets that list it. Each secret is made to exist before the answer; what the object already
/// lists is kept and never listed twice. Any failure leaves the object unchanged.
/// </summary>
public sealed class AdmissionMutator(RotatorConfig config, IAdmissionSecretSource source)
{
    public const string PodPullSecretsPath = "/spec/imagePullSecrets";
    public const string ServiceAccountPullSecretsPath = "/imagePullSecrets";

    /// <exception cref="JsonException">The object is not a Pod.</exception>
    public async ValueTask<Mutation> PodAsync(AdmissionRequest request, CancellationToken cancellationToken)
    {
        if (!IsCreate(request, out var ns)) return new Mutation(AdmissionOutcomes.Unchanged);
        var spec = request.Body!.Value.Deserialize(AdmissionJson.Default.PodShape)?.Spec;
        var images = Images(spec);
        if (images.Count == 0) return new Mutation(AdmissionOutcomes.Unchanged);

        var needed = new List<SecretTarget>();
        V1Namespace? namespaceObject = null;
        foreach (var target in config.Secrets)
        {
            if (!target.Namespaces.AdmitsName(ns)) continue; // decided by name alone: no lookup for most namespaces
            namespaceObject ??= await source.NamespaceAsync(ns, cancellationToken);
            if (namespaceObject is null) return new Mutation(AdmissionOutcomes.Unchanged);
            if (!ClusterState.Selects(target, namespaceObject)) continue;
            if (Serves(await source.ServersAsync(target, cancellationToken), images)) needed.Add(target);
        }
        return await ApplyAsync(needed, ns, Names(spec?.ImagePullSecrets), PodPullSecretsPath, spec?.ImagePullSecrets is not null,
            request.DryRun == true, annotations: null, cancellationToken);
    }

    /// <exception cref="JsonException">The object is not a ServiceAccount.</exception>
    public async ValueTask<Mutation> ServiceAccountAsync(AdmissionRequest request, CancellationToken cancellationToken)
    {
        if (!IsCreate(request, out var ns)) return new Mutation(AdmissionOutcomes.Unchanged);
        var account = request.Body!.Value.Deserialize(AdmissionJson.Default.ServiceAccountShape);
        var name = account?.Metadata?.Name ?? request.Name;
        if (account is null || string.IsNullOrEmpty(name)) return new Mutation(AdmissionOutcomes.Unchanged);

        var needed = new List<SecretTarget>();
        V1Namespace? namespaceObject = null;
        foreach (var target in config.Secrets)
        {
            if (!target.ServiceAccounts.Contains(name, StringComparer.Ordinal) || !target.Namespaces.AdmitsName(ns)) continue;
            namespaceObject ??= await source.NamespaceAsync(ns, cancellationToken);
            if (namespaceObject is null) return new Mutation(AdmissionOutcomes.Unchanged);
            if (ClusterState.Selects(target, namespaceObject)) needed.Add(target);
        }
        return await ApplyAsync(needed, ns, Names(account.ImagePullSecrets), ServiceAccountPullSecretsPath, account.ImagePullSecrets is not null,
            request.DryRun == true, account.Metadata?.Annotations ?? [], cancellationToken);
    }

    /// <param name="annotations">A service account's annotations: the names added are recorded as the daemon's patcher
    /// records them, so prune later removes only what this tool added. Null for a pod.</param>
    private async ValueTask<Mutation> ApplyAsync(List<SecretTarget> needed, string ns, HashSet<string> listed, string listPath, bool listExists,
        bool dryRun, Dictionary<string, string>? annotations, CancellationToken cancellationToken)
    {
        if (needed.Count == 0) return new Mutation(AdmissionOutcomes.Unchanged);
        // Usually one target; several are ensured at once so the answer waits for the slowest create, not their sum.
        var ensured = await Task.WhenAll(needed.Select(t => source.EnsureAsync(t, ns, dryRun, cancellationToken).AsTask()));
        if (ensured.FirstOrDefault(e => e.State == EnsuredState.Failed) is { } failed)
            return new Mutation(AdmissionOutcomes.Failed, Error: failed.Error);

        var add = needed.Select(t => t.Name).Where(n => !listed.Contains(n)).Distinct(StringComparer.Ordinal).ToList();
        var outcome = dryRun ? AdmissionOutcomes.DryRun
            : ensured.Any(e => e.State == EnsuredState.Created) ? AdmissionOutcomes.Created
            : add.Count > 0 ? AdmissionOutcomes.Patched
            : AdmissionOutcomes.Unchanged;
        if (add.Count == 0) return new Mutation(outcome);

        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            JsonPatch.AppendNames(writer, listPath, listExists, add);
            if (annotations is not null)
            {
                var recorded = new SortedSet<string>((annotations.GetValueOrDefault(ManagedSecret.AddedPullSecretsAnnotation) ?? "")
                    .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), StringComparer.Ordinal);
                recorded.UnionWith(add);
                JsonPatch.SetAnnotation(writer, annotations.Count > 0, ManagedSecret.AddedPullSecretsAnnotation, string.Join(",", recorded));
            }
            writer.WriteEndArray();
        }
        return new Mutation(outcome, buffer.WrittenSpan.ToArray());
    }

    private static bool IsCreate(AdmissionRequest request, out string ns)
    {
        ns = request.Namespace ?? "";
        return request.Operation == "CREATE" && ns.Length > 0 && request.Body is { ValueKind: JsonValueKind.Object };
    }

    /// <summary>Every container's image as kubelet looks it up; an image kubelet could not parse cannot match either.</summary>
    private static List<ImageReference> Images(PodSpecShape? spec)
    {
        var images = new List<ImageReference>();
        foreach (var list in new[] { spec?.Containers, spec?.InitContainers, spec?.EphemeralContainers })
        {
            foreach (var container in list ?? [])
            {
                if (container?.Image is { Length: > 0 } text && ImageReference.TryParse(text, out var image, out _)) images.Add(image);
            }
        }
        return images;
    }

    private static bool Serves(IReadOnlyList<string> servers, List<ImageReference> images)
    {
        if (servers.Count == 0) return false;
        var keyring = new DockerKeyring<string>();
        foreach (var server in servers) keyring.Add(server, server);
        return images.Exists(i => keyring.Lookup(i.Repository).Count > 0);
    }

    private static HashSet<string> Names(List<NameReference?>? references) =>
        new((references ?? []).Select(r => r?.Name).OfType<string>(), StringComparer.Ordinal);
}
