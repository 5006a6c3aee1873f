using k8s;
using Microsoft.Extensions.DependencyInjection;
using SecretRotator.Kubernetes;
using SecretRotator.Tests.Fakes.Kubernetes;

namespace SecretRotator.Tests.Kubernetes;

public sealed class KubernetesResilienceWiringTests
{
    [Fact]
    public async Task AddSecretRotator_ClientFromKubeconfig_RetriesTransientFailures()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fake = await FakeKubeApiServer.StartAsync(cancellationToken: ct);
        var kubeconfig = Path.Combine(Path.GetTempPath(), $"kubeconfig-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(kubeconfig, $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: fake
              cluster:
                server: {fake.Url.ToString().TrimEnd('/')}
            contexts:
            - name: fake
              context: {"{"}cluster: fake, user: fake{"}"}
            current-context: fake
            users:
            - name: fake
              user: {"{"}token: test-token{"}"}
            """, ct);
        try
        {
            var services = new ServiceCollection()
                .AddSingleton(new KubernetesConnectionOptions(kubeconfig))
                .AddSingleton(FakeKubeClients.FastRetries)
                .AddSecretRotator();
            await using var provider = services.BuildServiceProvider();
            var client = provider.GetRequiredService<IKubernetesClientProvider>().Client;
            fake.FailNext(KubeFault.Unavailable(), times: 2);

            await client.CoreV1.ListNamespaceAsync(cancellationToken: ct);

            Assert.Equal([503, 503, 200], fake.Journal.Select(r => r.StatusCode));
        }
        finally
        {
            File.Delete(kubeconfig);
        }
    }
}
