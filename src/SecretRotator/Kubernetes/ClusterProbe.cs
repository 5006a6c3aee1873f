using System.Net;
using k8s;
using k8s.Autorest;
using SecretRotator.Networking;

namespace SecretRotator.Kubernetes;

/// <summary>
/// Reaches the API server once (GET /version, with the full retry budget) before a run fans out, so an unreachable
/// cluster is one clear line instead of one warning per namespace and call.
/// </summary>
public sealed class ClusterProbe(IKubernetesClientProvider kubernetes, TimeProvider time)
{
    /// <summary>Null when the API server answered; otherwise one line naming the server and the cause.</summary>
    /// <exception cref="k8s.Exceptions.KubeConfigException">The kubeconfig is unusable.</exception>
    public async Task<string?> ProbeAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var client = kubernetes.Client;
        var server = client.BaseUri?.ToString().TrimEnd('/') ?? "(unknown server)";
        using var deadline = new CancellationTokenSource(timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, cancellationToken);
        try
        {
            await client.Version.GetCodeAsync(linked.Token);
            return null;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Unauthorized)
        {
            return $"unauthorized: the Kubernetes API server {server} rejected our credentials (HTTP 401): expired token or wrong kubeconfig user";
        }
        catch (HttpOperationException e) when (KubernetesResilience.IsTransient(e.Response.StatusCode))
        {
            return $"cannot reach the Kubernetes API server {server}: still HTTP {(int)e.Response.StatusCode} when the retry budget ran out";
        }
        catch (HttpOperationException)
        {
            return null; // any other answer (404 on a server without /version, 403) shows the server is there
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return $"cannot reach the Kubernetes API server {server}: no answer within settings.timeout {Configuration.Duration.Format(timeout)}";
        }
        catch (HttpRequestException e)
        {
            return $"cannot reach the Kubernetes API server {server}: {NetworkFailure.Describe(e)}";
        }
    }
}
