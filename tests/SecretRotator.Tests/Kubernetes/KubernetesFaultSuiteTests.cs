using System.Net;
using System.Text;
using k8s;
using k8s.Autorest;
using k8s.Models;
using SecretRotator.Tests.Fakes.Kubernetes;

namespace SecretRotator.Tests.Kubernetes;

/// <summary>Seeded random faults on every request: with retries, every write lands exactly once and intact.</summary>
public sealed class KubernetesFaultSuiteTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(1)]
    [InlineData(2024)]
    public async Task WritesUnderRandomFaults_WithRetries_AllLandIntact(int seed)
    {
        await using var fake = await FakeKubeApiServer.StartAsync(cancellationToken: Ct);
        fake.AddNamespace("team-a");
        using var client = fake.CreateResilientClient(FakeKubeClients.FastRetries with { MaxAttempts = 10 });
        fake.UseFaultPlan(new FaultPlan(seed)
        {
            TooManyRequests = 0.1, InternalError = 0.1, ServiceUnavailable = 0.05, DropConnection = 0.1, DropResponse = 0.05,
            Latency = 0.1, LatencyDelay = TimeSpan.FromMilliseconds(1),
        });

        for (var i = 0; i < 20; i++)
        {
            await CreateOrReadAsync(client, $"s{i}", $"value-{i}");
        }
        var listed = await client.CoreV1.ListNamespacedSecretAsync("team-a", cancellationToken: Ct);

        Assert.Equal(20, listed.Items.Count);
        Assert.All(listed.Items, s => Assert.Equal($"value-{s.Metadata.Name[1..]}", Encoding.UTF8.GetString(s.Data["v"])));
        var faults = fake.InjectedFaults;
        Assert.True(faults.Failures > 5, faults.ToString());
        Assert.Equal(faults.Failures, fake.Journal.Count(r => r.Fault is not null and not KubeFault.Latency));
        Assert.Equal(20, fake.Journal.Count(r => r.Verb == "create" && r.StatusCode == 201)); // each secret created exactly once
    }

    // What a rotation caller does: a create that meets AlreadyExists re-reads instead of failing.
    private static async Task CreateOrReadAsync(IKubernetes client, string name, string value)
    {
        var secret = new V1Secret
        {
            Metadata = new V1ObjectMeta { Name = name },
            Data = new Dictionary<string, byte[]> { ["v"] = Encoding.UTF8.GetBytes(value) },
        };
        try
        {
            await client.CoreV1.CreateNamespacedSecretAsync(secret, "team-a", cancellationToken: Ct);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            var existing = await client.CoreV1.ReadNamespacedSecretAsync(name, "team-a", cancellationToken: Ct);
            Assert.Equal(value, Encoding.UTF8.GetString(existing.Data["v"]));
        }
    }
}
