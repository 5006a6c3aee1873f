using System.Net;
using System.Text;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace SecretRotator.Tests.Fakes.Kubernetes;

/// <summary>Proves the fake behaves like the apiserver, through the real KubernetesClient over HTTP.</summary>
public sealed class FakeKubeApiServerTests : IAsyncLifetime
{
    // Status bodies from TestData/k8s-status-examples.txt (apimachinery errors.go), byte for byte.
    private const string AlreadyExistsBody = """{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"secrets \"regcred\" already exists","reason":"AlreadyExists","details":{"name":"regcred","kind":"secrets"},"code":409}""";
    private const string ConflictBody = """{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Operation cannot be fulfilled on secrets \"regcred\": the object has been modified; please apply your changes to the latest version and try again","reason":"Conflict","details":{"name":"regcred","kind":"secrets"},"code":409}""";
    private const string TypeImmutableBody = """{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Secret \"regcred\" is invalid: type: Invalid value: \"Opaque\": field is immutable","reason":"Invalid","details":{"name":"regcred","kind":"Secret","causes":[{"reason":"FieldValueInvalid","message":"Invalid value: \"Opaque\": field is immutable","field":"type"}]},"code":422}""";
    private const string ImmutableDataBody = """{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Secret \"regcred\" is invalid: data: Forbidden: field is immutable when `immutable` is set","reason":"Invalid","details":{"name":"regcred","kind":"Secret","causes":[{"reason":"FieldValueForbidden","message":"Forbidden: field is immutable when `immutable` is set","field":"data"}]},"code":422}""";
    private const string NotFoundBody = """{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"secrets \"regcred\" not found","reason":"NotFound","details":{"name":"regcred","kind":"secrets"},"code":404}""";

    private FakeKubeApiServer _fake = null!;
    private IKubernetes _client = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _fake = await FakeKubeApiServer.StartAsync(cancellationToken: Ct);
        _client = _fake.CreateClient();
        _fake.AddNamespace("team-a", new Dictionary<string, string> { ["pull-secrets"] = "enabled" });
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _fake.DisposeAsync();
    }

    [Fact]
    public async Task CreateSecret_NameExists_Returns409AlreadyExistsStatus()
    {
        await _client.CoreV1.CreateNamespacedSecretAsync(PullSecret(), "team-a", cancellationToken: Ct);

        var e = await Assert.ThrowsAsync<HttpOperationException>(() => _client.CoreV1.CreateNamespacedSecretAsync(PullSecret(), "team-a", cancellationToken: Ct));

        Assert.Equal(HttpStatusCode.Conflict, e.Response.StatusCode);
        Assert.Equal("AlreadyExists", KubernetesJson.Deserialize<V1Status>(e.Response.Content).Reason);
        Assert.Equal(AlreadyExistsBody, e.Response.Content);
    }

    [Fact]
    public async Task CreateSecret_AssignsIdentityAndIncreasingResourceVersion()
    {
        var first = await _client.CoreV1.CreateNamespacedSecretAsync(PullSecret("one"), "team-a", cancellationToken: Ct);
        var second = await _client.CoreV1.CreateNamespacedSecretAsync(PullSecret("two"), "team-a", cancellationToken: Ct);

        Assert.True(Guid.TryParse(first.Metadata.Uid, out _));
        Assert.NotNull(first.Metadata.CreationTimestamp);
        Assert.True(long.Parse(second.Metadata.ResourceVersion) > long.Parse(first.Metadata.ResourceVersion));
        Assert.Equal("team-a", second.Metadata.NamespaceProperty);
    }

    [Fact]
    public async Task CreateSecret_NamespaceMissing_Returns404ForNamespace()
    {
        var e = await Assert.ThrowsAsync<HttpOperationException>(() => _client.CoreV1.CreateNamespacedSecretAsync(PullSecret(), "nope", cancellationToken: Ct));

        Assert.Equal(HttpStatusCode.NotFound, e.Response.StatusCode);
        var status = KubernetesJson.Deserialize<V1Status>(e.Response.Content);
        Assert.Equal(("namespaces", "nope", "namespaces \"nope\" not found"), (status.Details.Kind, status.Details.Name, status.Message));
    }

    [Fact]
    public async Task ReplaceSecret_StaleResourceVersion_Returns409Conflict()
    {
        var created = await _client.CoreV1.CreateNamespacedSecretAsync(PullSecret(), "team-a", cancellationToken: Ct);
        var stale = created.Metadata.ResourceVersion;
        created.Metadata.Labels = new Dictionary<string, string> { ["x"] = "1" };
        await _client.CoreV1.ReplaceNamespacedSecretAsync(created, "regcred", "team-a", cancellationToken: Ct);
        created.Metadata.ResourceVersion = stale;

        var e = await Assert.ThrowsAsync<HttpOperationException>(() => _client.CoreV1.ReplaceNamespacedSecretAsync(created, "regcred", "team-a", cancellationToken: Ct));

        Assert.Equal(HttpStatusCode.Conflict, e.Response.StatusCode);
        Assert.Equal(ConflictBody, e.Response.Content);
    }

    [Fact]
    public async Task ReplaceSecret_NothingChanged_KeepsResourceVersion()
    {
        var created = await _client.CoreV1.CreateNamespacedSecretAsync(PullSecret(), "team-a", cancellationToken: Ct);

        var replaced = await _client.CoreV1.ReplaceNamespacedSecretAsync(created, "regcred", "team-a", cancellationToken: Ct);

        Assert.Equal(created.Metadata.ResourceVersion, replaced.Metadata.ResourceVersion);
    }

    [Fact]
    public async Task ReplaceSecret_TypeChanged_Returns422Invalid()
    {
        var created = await _client.CoreV1.CreateNamespacedSecretAsync(PullSecret(), "team-a", cancellationToken: Ct);
        created.Type = "Opaque";

        var e = await Assert.ThrowsAsync<HttpOperationException>(() => _client.CoreV1.ReplaceNamespacedSecretAsync(created, "regcred", "team-a", cancellationToken: Ct));

        Assert.Equal((HttpStatusCode)422, e.Response.StatusCode);
        Assert.Equal(TypeImmutableBody, e.Response.Content);
    }

    [Fact]
    public async Task ReplaceSecret_ImmutableDataChanged_Returns422Invalid()
    {
        var secret = PullSecret();
        secret.Immutable = true;
        var created = await _client.CoreV1.CreateNamespacedSecretAsync(secret, "team-a", cancellationToken: Ct);
        created.Data[".dockerconfigjson"] = Encoding.UTF8.GetBytes("""{"auths":{"other.io":{}}}""");

        var e = await Assert.ThrowsAsync<HttpOperationException>(() => _client.CoreV1.ReplaceNamespacedSecretAsync(created, "regcred", "team-a", cancellationToken: Ct));

        Assert.Equal(ImmutableDataBody, e.Response.Content);
    }

    [Fact]
    public async Task CreateSecret_DockerConfigJsonNotJson_Returns422()
    {
        var secret = PullSecret();
        secret.Data[".dockerconfigjson"] = Encoding.UTF8.GetBytes("not json");

        var e = await Assert.ThrowsAsync<HttpOperationException>(() => _client.CoreV1.CreateNamespacedSecretAsync(secret, "team-a", cancellationToken: Ct));

        Assert.Equal("data[.dockerconfigjson]", KubernetesJson.Deserialize<V1Status>(e.Response.Content).Details.Causes.Single().Field);
    }

    [Fact]
    public async Task ReadSecret_Missing_Returns404NotFound()
    {
        var e = await Assert.ThrowsAsync<HttpOperationException>(() => _client.CoreV1.ReadNamespacedSecretAsync("regcred", "team-a", cancellationToken: Ct));

        Assert.Equal(HttpStatusCode.NotFound, e.Response.StatusCode);
        Assert.Equal(NotFoundBody, e.Response.Content);
    }

    [Fact]
    public async Task DeleteSecret_Existing_RemovesItAndReturnsSuccess()
    {
        _fake.AddSecret(PullSecret("gone", "team-a"));

        var status = await _client.CoreV1.DeleteNamespacedSecretAsync("gone", "team-a", cancellationToken: Ct);

        Assert.Equal("Success", status.Status);
        Assert.Null(_fake.GetSecret("team-a", "gone"));
    }

    [Fact]
    public async Task ListSecrets_DeniedAtClusterScope_Returns403WithApiserverStatus()
    {
        _fake.User = "system:serviceaccount:ns:sa";
        _fake.Deny(RbacDenyRule.AtClusterScope("list", "secrets"));

        var e = await Assert.ThrowsAsync<HttpOperationException>(() => _client.CoreV1.ListSecretForAllNamespacesAsync(cancellationToken: Ct));
        var namespaced = await _client.CoreV1.ListNamespacedSecretAsync("team-a", cancellationToken: Ct);

        Assert.Equal(HttpStatusCode.Forbidden, e.Response.StatusCode);
        Assert.Equal("""{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"secrets is forbidden: User \"system:serviceaccount:ns:sa\" cannot list resource \"secrets\" in API group \"\" at the cluster scope","reason":"Forbidden","details":{"kind":"secrets"},"code":403}""", e.Response.Content);
        Assert.Empty(namespaced.Items);
    }

    [Fact]
    public async Task ListSecrets_DeniedInNamespace_MessageNamesNamespace()
    {
        _fake.User = "system:serviceaccount:ns:sa";
        _fake.Deny(RbacDenyRule.InNamespace("list", "secrets", "team-a"));

        var e = await Assert.ThrowsAsync<HttpOperationException>(() => _client.CoreV1.ListNamespacedSecretAsync("team-a", cancellationToken: Ct));

        var status = KubernetesJson.Deserialize<V1Status>(e.Response.Content);
        Assert.Equal(("Forbidden", 403), (status.Reason, status.Code));
        Assert.Equal("secrets is forbidden: User \"system:serviceaccount:ns:sa\" cannot list resource \"secrets\" in API group \"\" in the namespace \"team-a\"", status.Message);
    }

    [Theory]
    [InlineData("pull-secrets=enabled", "team-a,team-b")]
    [InlineData("pull-secrets==enabled,tier=gold", "team-b")]
    [InlineData("pull-secrets!=enabled", "kube-system,team-c")]
    [InlineData("tier in (gold,silver)", "team-b,team-c")]
    [InlineData("tier notin (gold)", "kube-system,team-a,team-c")]
    [InlineData("tier", "team-b,team-c")]
    [InlineData("!tier", "kube-system,team-a")]
    [InlineData("kubernetes.io/metadata.name=team-c", "team-c")]
    public async Task ListNamespaces_LabelSelector_FiltersServerSide(string selector, string expected)
    {
        _fake.AddNamespace("team-b", new Dictionary<string, string> { ["pull-secrets"] = "enabled", ["tier"] = "gold" });
        _fake.AddNamespace("team-c", new Dictionary<string, string> { ["tier"] = "silver" });
        _fake.AddNamespace("kube-system");

        var list = await _client.CoreV1.ListNamespaceAsync(labelSelector: selector, cancellationToken: Ct);

        Assert.Equal(expected, string.Join(',', list.Items.Select(n => n.Metadata.Name)));
    }

    [Fact]
    public async Task ListNamespaces_MalformedSelector_Returns400()
    {
        var e = await Assert.ThrowsAsync<HttpOperationException>(() => _client.CoreV1.ListNamespaceAsync(labelSelector: "tier in gold", cancellationToken: Ct));

        Assert.Equal(HttpStatusCode.BadRequest, e.Response.StatusCode);
    }

    [Fact]
    public async Task ListSecrets_LimitAndContinue_PagesThroughAll()
    {
        _fake.AddNamespace("team-b");
        foreach (var (ns, name) in new[] { ("team-a", "s1"), ("team-a", "s2"), ("team-b", "s1") })
        {
            _fake.AddSecret(PullSecret(name, ns));
        }

        var page1 = await _client.CoreV1.ListSecretForAllNamespacesAsync(limit: 2, cancellationToken: Ct);
        var page2 = await _client.CoreV1.ListSecretForAllNamespacesAsync(limit: 2, continueParameter: page1.Metadata.ContinueProperty, cancellationToken: Ct);

        Assert.Equal(["team-a/s1", "team-a/s2"], page1.Items.Select(s => $"{s.Metadata.NamespaceProperty}/{s.Metadata.Name}"));
        Assert.Equal(["team-b/s1"], page2.Items.Select(s => $"{s.Metadata.NamespaceProperty}/{s.Metadata.Name}"));
        Assert.Null(page2.Metadata.ContinueProperty);
    }

    [Fact]
    public async Task ListSecrets_NamespacePrefixOfAnother_PagesEachOnceInKeyOrder()
    {
        // "team-a/z" sorts after "team-a-x/s1" as a string ('/' > '-'), but etcd's keys put team-a's secrets first.
        _fake.AddNamespace("team-a-x");
        foreach (var (ns, name) in new[] { ("team-a", "s1"), ("team-a", "z"), ("team-a-x", "s1") })
        {
            _fake.AddSecret(PullSecret(name, ns));
        }

        var page1 = await _client.CoreV1.ListSecretForAllNamespacesAsync(limit: 1, cancellationToken: Ct);
        var page2 = await _client.CoreV1.ListSecretForAllNamespacesAsync(limit: 1, continueParameter: page1.Metadata.ContinueProperty, cancellationToken: Ct);
        var page3 = await _client.CoreV1.ListSecretForAllNamespacesAsync(limit: 1, continueParameter: page2.Metadata.ContinueProperty, cancellationToken: Ct);

        Assert.Equal(["team-a/s1", "team-a/z", "team-a-x/s1"],
            new[] { page1, page2, page3 }.SelectMany(p => p.Items).Select(s => $"{s.Metadata.NamespaceProperty}/{s.Metadata.Name}"));
        Assert.Equal([2, 1], new[] { page1, page2 }.Select(p => p.Metadata.RemainingItemCount));
        Assert.Null(page3.Metadata.ContinueProperty);
    }

    private static V1Secret PullSecret(string name = "regcred", string? ns = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns },
        Type = "kubernetes.io/dockerconfigjson",
        Data = new Dictionary<string, byte[]> { [".dockerconfigjson"] = Encoding.UTF8.GetBytes("""{"auths":{"ghcr.io":{"auth":"dTpw"}}}""") },
    };
}
