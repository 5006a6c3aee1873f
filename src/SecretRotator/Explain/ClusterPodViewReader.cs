using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using SecretRotator.Kubernetes;

namespace SecretRotator.Explain;

/// <summary>Reads a pod's view from the API server: get the service account, get each secret it names, list ours. Read-only.</summary>
public sealed class ClusterPodViewReader(IKubernetes client)
{
    public async Task<PodView> ReadAsync(string ns, string serviceAccount, CancellationToken cancellationToken)
    {
        var notes = new List<string>();
        V1ServiceAccount? account;
        try
        {
            account = await client.CoreV1.ReadNamespacedServiceAccountAsync(serviceAccount, ns, cancellationToken: cancellationToken);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            account = null;
        }

        var names = account?.ImagePullSecrets?.Select(r => r.Name).Where(n => !string.IsNullOrEmpty(n)).Distinct(StringComparer.Ordinal).ToList() ?? [];
        var referenced = new List<PullSecretView>();
        foreach (var name in names) referenced.Add(await ReadSecretAsync(ns, name, cancellationToken));

        var unreferenced = new List<PullSecretView>();
        try
        {
            var managed = await client.CoreV1.ListNamespacedSecretAsync(ns, labelSelector: ManagedSecret.ManagedSelector, cancellationToken: cancellationToken);
            unreferenced.AddRange(managed.Items.Where(s => !names.Contains(s.Metadata.Name)).OrderBy(s => s.Metadata.Name, StringComparer.Ordinal).Select(PullSecretReader.Read));
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Forbidden)
        {
            notes.Add($"not allowed to list secrets in namespace {ns}: managed secrets the service account does not reference are not shown");
        }
        return new PodView(ns, serviceAccount, "cluster", account is not null, referenced, unreferenced, notes);
    }

    private async Task<PullSecretView> ReadSecretAsync(string ns, string name, CancellationToken cancellationToken)
    {
        try
        {
            return PullSecretReader.Read(await client.CoreV1.ReadNamespacedSecretAsync(name, ns, cancellationToken: cancellationToken));
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return new PullSecretView(name, PullSecretState.Missing, null, false, [], $"not found in namespace {ns}: kubelet skips it");
        }
    }
}
