using k8s.Models;
using SecretRotator.Tests.Fakes.Kubernetes;
using SecretRotator.Tests.TestSupport;

namespace SecretRotator.Tests.Rotation;

/// <summary>
/// Only a write whose response was lost may be reported as written: a create answered 409 AlreadyExists did not land,
/// so identical content found on the re-read was written by someone else and this run reports it unchanged.
/// </summary>
public sealed class ConcurrentWriteOutcomeTests
{
    [Fact]
    public async Task Run_CreateAnswered409AndReReadIdentical_ReportsUnchanged()
    {
        // Arrange: what a concurrent run writes is exactly what this run would write.
        await using var h = await RotatorHarness.StartAsync("team-a");
        var config = h.WriteTwoRegistryConfig(namespaces: "[team-a]");
        await h.RunCliAsync("run", "--config", config);
        var twin = h.Secret("team-a", "regcred");
        h.Api.DeleteSecret("team-a", "regcred");
        var raced = 0;
        h.Api.FaultHook = r =>
        {
            // The other run's create lands just before ours.
            if (r.Verb == "create" && r.Resource == "secrets" && Interlocked.Exchange(ref raced, 1) == 0)
                h.Api.AddSecret(new V1Secret
                {
                    Metadata = new V1ObjectMeta
                    {
                        Name = "regcred", NamespaceProperty = "team-a", Labels = twin.Metadata.Labels,
                        Annotations = twin.Metadata.Annotations
                    }, Type = twin.Type, Data = twin.Data
                });
            return null;
        };
        h.Api.ClearJournal();

        // Act
        var result = await h.RunCliAsync("run", "--config", config);

        // Assert
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains(409, h.Api.Journal.Where(r => r.Verb == "create").Select(r => r.StatusCode));
        Assert.Contains("secret regcred: 0 created, 0 updated, 1 unchanged, 0 failed", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_CreateCommittedButResponseLost_ReportsCreated()
    {
        // Arrange
        await using var h = await RotatorHarness.StartAsync("team-a");
        h.Handlers = () => [SecretRotator.Kubernetes.KubernetesResilience.CreateHandler(FakeKubeClients.FastRetries, TimeProvider.System,
            Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance)];
        var config = h.WriteTwoRegistryConfig(namespaces: "[team-a]");
        h.Api.FailNext(KubeFault.DropAfterCommit(), when: r => r.Verb == "create");

        // Act
        var result = await h.RunCliAsync("run", "--config", config);

        // Assert: the retry met 409, but the first try had landed: this run wrote it.
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal([201, 409], h.Api.Journal.Where(r => r.Verb == "create").Select(r => r.StatusCode));
        Assert.Contains("secret regcred: 1 created, 0 updated, 0 unchanged, 0 failed", result.Stdout, StringComparison.Ordinal);
    }
}
