using System.Net;
using System.Text;
using System.Text.Json;
using k8s;
using k8s.Autorest;
using SecretRotator.Kubernetes;
using SecretRotator.Kubernetes.Lists;
using SecretRotator.Tests.Fakes.Kubernetes;

namespace SecretRotator.Tests.Kubernetes;

/// <summary>The names-only namespace LIST (<see cref="LeanListReader.ReadNamespaceNames"/>) gives the names the typed decode gives, without namespaces being deleted.</summary>
public sealed class NamespaceNameReaderTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // As an apiserver answers: managedFields, labels, spec, and a Terminating namespace with conditions.
    private const string Namespaces = """
        {"kind":"NamespaceList","apiVersion":"v1","metadata":{"resourceVersion":"300","continue":"eyJydiI6MzAwfQ","remainingItemCount":4},"items":[
          {"metadata":{"name":"team-a","uid":"n1","resourceVersion":"301","creationTimestamp":"2026-11-30T10:00:00Z",
            "labels":{"kubernetes.io/metadata.name":"team-a","pull-secrets":"enabled"},
            "managedFields":[{"manager":"kubectl-create","operation":"Update","apiVersion":"v1","time":"2026-11-30T10:00:00Z","fieldsType":"FieldsV1","fieldsV1":{"f:metadata":{}}}]},
           "spec":{"finalizers":["kubernetes"]},"status":{"phase":"Active"}},
          {"status":{"phase":"Active"},"metadata":{"uid":"n3","name":"team-b\u002dx","ownerReferences":[{"kind":"X","name":"y"}]}},
          {"metadata":{"name":"team-z","uid":"n2","resourceVersion":"302","creationTimestamp":"2026-11-30T10:00:00Z","deletionTimestamp":"2026-11-30T12:00:00Z"},
           "spec":{"finalizers":["kubernetes"]},
           "status":{"phase":"Terminating","conditions":[{"type":"NamespaceDeletionContentFailure","status":"False","reason":"ContentDeleted","message":"done"}]}},
          {"metadata":{"name":"no-status"}}
        ]}
        """;

    [Fact]
    public void Read_NamespaceList_NamesOfTheTypedDecodeWithoutTerminating()
    {
        var typed = KubernetesJson.Deserialize<k8s.Models.V1NamespaceList>(Namespaces);
        var expected = typed.Items.Where(n => n.Status?.Phase != "Terminating").Select(n => n.Metadata.Name).ToList();

        var page = Names(Namespaces);

        Assert.Equal(["team-a", "team-b-x", "no-status"], page.Names);
        Assert.Equal(expected, page.Names);
        Assert.Equal("eyJydiI6MzAwfQ", page.Continue);
    }

    [Theory]
    [InlineData("""{"items":[],"metadata":{"continue":""}}""")]
    [InlineData("""{"items":null,"metadata":{}}""")]
    [InlineData("""{"metadata":null}""")]
    public void Read_LastOrEmptyPage_NoContinueToken(string json)
    {
        var page = Names(json);

        Assert.Empty(page.Names);
        Assert.Null(page.Continue);
    }

    [Theory]
    [InlineData("""{"items":[{"metadata":{"uid":"n1"}}]}""")] // no name
    [InlineData("""{"items":[{"metadata":{"name":7}}]}""")]
    [InlineData("""{"items":{}}""")]
    [InlineData("""{"items":[{"metadata":{"name":"a"}""")] // cut off
    [InlineData("""[]""")]
    public void Read_Malformed_ThrowsJsonException(string json)
    {
        Assert.ThrowsAny<JsonException>(() => Names(json));
    }

    [Fact]
    public async Task ListNamespaceNames_ThroughFakeApiServerPagedWithSelector_SameNamesAsTheLibraryClient()
    {
        await using var fake = await FakeKubeApiServer.StartAsync(cancellationToken: Ct);
        foreach (var ns in new[] { "team-c", "team-a", "team-a-x", "other", "team-b" })
            fake.AddNamespace(ns, ns == "other" ? null : new Dictionary<string, string> { ["pull-secrets"] = "enabled" });
        using var lean = fake.CreateClient();
        using var typed = new k8s.Kubernetes(new KubernetesClientConfiguration { Host = fake.Url.ToString() });

        var names = new List<string>();
        var pages = 0;
        string? next = null;
        do
        {
            var page = await ((INamespaceNameLister)lean).ListNamespaceNamesAsync("pull-secrets=enabled", next, 2, Ct);
            names.AddRange(page.Names);
            next = page.Continue;
            pages++;
        } while (next is not null);
        var fromTyped = await typed.CoreV1.ListNamespaceAsync(labelSelector: "pull-secrets=enabled", cancellationToken: Ct);

        Assert.Equal(2, pages);
        Assert.Equal(fromTyped.Items.Select(n => n.Metadata.Name), names);
        Assert.Equal(["team-a", "team-a-x", "team-b", "team-c"], names);
    }

    private static NamespaceNamePage Names(string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        return LeanListReader.ReadNamespaceNames(bytes, bytes.Length);
    }

    [Fact]
    public async Task ListNamespaceNames_Forbidden_SameStatusAndReasonAsTheLibraryClient()
    {
        await using var fake = await FakeKubeApiServer.StartAsync(cancellationToken: Ct);
        fake.Deny(RbacDenyRule.AtClusterScope("list", "namespaces"));
        using var lean = fake.CreateClient();

        var e = await Assert.ThrowsAsync<HttpOperationException>(() => ((INamespaceNameLister)lean).ListNamespaceNamesAsync(null, null, 500, Ct));

        Assert.Equal(HttpStatusCode.Forbidden, e.Response.StatusCode);
        Assert.Equal("forbidden", KubernetesErrors.Describe(e, "list", "namespaces", null).Reason);
    }
}
