using System.Net;
using k8s;
using k8s.Autorest;
using SecretRotator.Configuration;
using SecretRotator.Kubernetes;

namespace SecretRotator.Registries;

public sealed class ValueResolver(IKubernetesClientProvider kubernetes) : IValueResolver
{
    public async Task<string> ResolveAsync(ValueSource source, CancellationToken cancellationToken)
    {
        switch (source)
        {
            case ValueSource.Literal l:
                return l.Value;
            // Every source drops trailing line breaks alike: a value from `echo`, a mounted file or a Secret
            // created from a file ends with one that is never part of a credential.
            case ValueSource.Env e:
                return TrimLineEnd(Environment.GetEnvironmentVariable(e.Variable)
                    ?? throw new RegistryException("source_missing", $"environment variable '{e.Variable}' is not set"));
            case ValueSource.File f:
                try
                {
                    // Read synchronously: a mounted secret file is small and local, and on Linux an async file read
                    // runs on the thread pool, which credential-provider would start for this read alone
                    // (docs/performance.md, credential-provider).
                    cancellationToken.ThrowIfCancellationRequested();
                    return TrimLineEnd(File.ReadAllText(f.Path));
                }
                catch (IOException ex)
                {
                    throw new RegistryException("source_missing", $"cannot read file '{f.Path}': {ex.Message}", ex);
                }
                catch (UnauthorizedAccessException ex)
                {
                    throw new RegistryException("source_missing", $"cannot read file '{f.Path}': {ex.Message}", ex);
                }
            case ValueSource.SecretKey s:
                try
                {
                    var secret = await kubernetes.Client.CoreV1.ReadNamespacedSecretAsync(s.Name, s.Namespace, cancellationToken: cancellationToken);
                    if (secret.Data is null || !secret.Data.TryGetValue(s.Key, out var bytes))
                        throw new RegistryException("source_missing", $"secret {s.Namespace}/{s.Name} has no key '{s.Key}'");
                    return TrimLineEnd(System.Text.Encoding.UTF8.GetString(bytes));
                }
                catch (HttpOperationException ex) when (ex.Response.StatusCode == HttpStatusCode.NotFound)
                {
                    throw new RegistryException("source_missing", $"secret {s.Namespace}/{s.Name} not found", ex);
                }
                catch (HttpOperationException ex) when (ex.Response.StatusCode == HttpStatusCode.Unauthorized)
                {
                    throw new RegistryException("unauthorized",
                        $"cannot read secret {s.Namespace}/{s.Name}: the cluster rejected our credentials (HTTP 401): expired token or wrong kubeconfig user", ex);
                }
                catch (HttpOperationException ex) when (ex.Response.StatusCode == HttpStatusCode.Forbidden)
                {
                    throw new RegistryException("forbidden", $"not allowed to get secret {s.Namespace}/{s.Name}: grant 'get' on secrets in namespace {s.Namespace}", ex);
                }
            default:
                throw new ArgumentOutOfRangeException(nameof(source));
        }
    }

    private static string TrimLineEnd(string value) => value.TrimEnd('\r', '\n');
}
