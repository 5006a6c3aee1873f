using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace SecretRotator.Tests.Fakes.Kubernetes;

/// <summary>coordination.k8s.io/v1 Leases, as KubernetesClient's LeaseLock uses them: get, create, replace with resourceVersion.</summary>
public sealed class FakeKubeApiServerLeaseTests
{
    private static V1Lease Lease(string holder) => new()
    {
        Metadata = new V1ObjectMeta { Name = "secret-rotator" },
        Spec = new V1LeaseSpec { HolderIdentity = holder, LeaseDurationSeconds = 15 },
    };

    [Fact]
    public async Task Lease_CreateGetReplace_RoundTripsThroughTheClient()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fake = await FakeKubeApiServer.StartAsync(cancellationToken: ct);
        fake.AddNamespace("kube-system");
        using var client = fake.CreateClient();

        var created = await client.CoordinationV1.CreateNamespacedLeaseAsync(Lease("a"), "kube-system", cancellationToken: ct);
        created.Spec.HolderIdentity = "b";
        var replaced = await client.CoordinationV1.ReplaceNamespacedLeaseAsync(created, "secret-rotator", "kube-system", cancellationToken: ct);
        var read = await client.CoordinationV1.ReadNamespacedLeaseAsync("secret-rotator", "kube-system", cancellationToken: ct);

        Assert.Equal(("coordination.k8s.io/v1", "Lease", "b"), (read.ApiVersion, read.Kind, read.Spec.HolderIdentity));
        Assert.Equal(replaced.ResourceVersion(), read.ResourceVersion());
        Assert.NotEqual(created.ResourceVersion(), read.ResourceVersion());
    }

    [Fact]
    public async Task Lease_ReplaceWithStaleResourceVersion_Returns409()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fake = await FakeKubeApiServer.StartAsync(cancellationToken: ct);
        fake.AddNamespace("kube-system");
        using var client = fake.CreateClient();
        var created = await client.CoordinationV1.CreateNamespacedLeaseAsync(Lease("a"), "kube-system", cancellationToken: ct);
        var first = await client.CoordinationV1.ReadNamespacedLeaseAsync("secret-rotator", "kube-system", cancellationToken: ct);
        first.Spec.HolderIdentity = "b";
        await client.CoordinationV1.ReplaceNamespacedLeaseAsync(first, "secret-rotator", "kube-system", cancellationToken: ct);
        created.Spec.HolderIdentity = "c";

        var e = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoordinationV1.ReplaceNamespacedLeaseAsync(created, "secret-rotator", "kube-system", cancellationToken: ct));

        Assert.Equal(HttpStatusCode.Conflict, e.Response.StatusCode);
        Assert.Equal("b", fake.GetLease("kube-system", "secret-rotator")!.Spec.HolderIdentity);
    }

    [Fact]
    public async Task Lease_GetMissing_Returns404()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fake = await FakeKubeApiServer.StartAsync(cancellationToken: ct);
        fake.AddNamespace("kube-system");
        using var client = fake.CreateClient();

        var e = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoordinationV1.ReadNamespacedLeaseAsync("none", "kube-system", cancellationToken: ct));

        Assert.Equal(HttpStatusCode.NotFound, e.Response.StatusCode);
    }
}
