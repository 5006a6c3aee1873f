using System.Net;
using System.Text;
using k8s;
using k8s.Autorest;
using k8s.Models;
using SecretRotator.Kubernetes;
using SecretRotator.Kubernetes.Lists;
using SecretRotator.Tests.Fakes.Kubernetes;

namespace SecretRotator.Tests.Kubernetes;

/// <summary>The lean LIST decode gives what KubernetesClient's typed decode gives (managedFields aside), on apiserver-shaped JSON.</summary>
public sealed class LeanListReaderTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // As a real apiserver answers a labelled LIST: no TypeMeta on items, managedFields on every item.
    private const string Secrets = """
        {"kind":"SecretList","apiVersion":"v1","metadata":{"resourceVersion":"12345","continue":"eyJydiI6MTIzNDV9","remainingItemCount":7},"extra":{"a":[1,{"b":null}]},
         "items":[
          {"metadata":{"name":"regcred","namespace":"team-a","uid":"0b6f3f4e-1c1d-4c8e-9d1f-1a2b3c4d5e6f","resourceVersion":"101","creationTimestamp":"2026-11-30T10:00:00Z",
            "labels":{"app.kubernetes.io/managed-by":"secret-rotator","secret-rotator.io/instance":"default"},
            "annotations":{"secret-rotator.io/registries":"ghcr","secret-rotator.io/sources":"{\"ghcr\":{\"servers\":[\"ghcr.io\"]}}"},
            "managedFields":[{"manager":"secret-rotator","operation":"Update","apiVersion":"v1","time":"2026-11-30T10:00:00Z","fieldsType":"FieldsV1",
              "fieldsV1":{"f:data":{".":{},"f:.dockerconfigjson":{}},"f:metadata":{"f:labels":{".":{},"f:app.kubernetes.io/managed-by":{}}},"f:type":{}}}]},
           "data":{".dockerconfigjson":"eyJhdXRocyI6e319"},"type":"kubernetes.io/dockerconfigjson"},
          {"metadata":{"name":"regcred","namespace":"team-b","uid":"1b6f3f4e-1c1d-4c8e-9d1f-1a2b3c4d5e6f","resourceVersion":"102","creationTimestamp":"2026-11-30T10:00:01Z",
            "labels":{"app.kubernetes.io/managed-by":"secret-rotator","secret-rotator.io/instance":"default"},
            "annotations":{"secret-rotator.io/registries":"ghcr","secret-rotator.io/sources":"{\"ghcr\":{\"servers\":[\"ghcr.io\"]}}"},
            "managedFields":[]},
           "data":{".dockerconfigjson":"eyJhdXRocyI6e319"},"type":"kubernetes.io/dockerconfigjson"},
          {"metadata":{"name":"odd","namespace":"team-c","uid":"u3","resourceVersion":"103","generation":2,"creationTimestamp":"2026-11-30T10:00:02Z",
            "deletionTimestamp":"2026-11-30T11:00:00.123456Z","deletionGracePeriodSeconds":30,"finalizers":["example.com/keep"],"generateName":"odd-",
            "labels":{"app.kubernetes.io\/name":"caf\u00e9"},"annotations":{"note":"say \"hi\"\nline\ttab \\ \u2603","empty":""}},
           "data":{},"immutable":true,"type":"Opaque"},
          {"metadata":{"name":"bare","namespace":"team-d","uid":"u4","resourceVersion":"104","creationTimestamp":"2026-11-30T10:00:03Z","labels":null},"type":"Opaque"},
          {"metadata":{"name":"owned","namespace":"team-e","uid":"u5","resourceVersion":"105","creationTimestamp":"2026-11-30T10:00:04Z",
            "ownerReferences":[{"apiVersion":"v1","kind":"ConfigMap","name":"owner","uid":"u0","controller":true}],
            "managedFields":[{"manager":"kubectl","operation":"Update","apiVersion":"v1","time":"2026-11-30T10:00:04Z","fieldsType":"FieldsV1","fieldsV1":{"f:type":{}}}]},
           "data":{"a":"YQ==","b":"Yg=="},"type":"Opaque"},
          {"metadata":{"name":"future","namespace":"team-f","uid":"u6","resourceVersion":"106","creationTimestamp":"2026-11-30T10:00:05Z","someNewField":{"x":1}},
           "data":{"a":"YQ=="},"type":"Opaque","newTopLevel":[1,2]}
         ]}
        """;

    private const string ServiceAccounts = """
        {"kind":"ServiceAccountList","apiVersion":"v1","metadata":{"resourceVersion":"200"},"items":[
          {"metadata":{"name":"default","namespace":"team-a","uid":"s1","resourceVersion":"201","creationTimestamp":"2026-11-30T10:00:00Z",
            "annotations":{"secret-rotator.io/added-pull-secrets":"ecrcred,regcred"},
            "managedFields":[{"manager":"kube-controller-manager","operation":"Update","apiVersion":"v1","time":"2026-11-30T10:00:00Z","fieldsType":"FieldsV1","fieldsV1":{"f:secrets":{}}}]},
           "secrets":[{"name":"default-token-x2f9k"},{"name":"other","namespace":"team-a","kind":"Secret","uid":"x","apiVersion":"v1","resourceVersion":"9","fieldPath":"f"}],
           "imagePullSecrets":[{"name":"ecrcred"},{"name":"regcred"}],"automountServiceAccountToken":false},
          {"metadata":{"name":"default","namespace":"team-b","uid":"s2","resourceVersion":"202","creationTimestamp":"2026-11-30T10:00:00Z"}},
          {"metadata":{"name":"default","namespace":"team-c","uid":"s3","resourceVersion":"203","creationTimestamp":"2026-11-30T10:00:00Z"},
           "imagePullSecrets":[{"name":"regcred","futureField":"y"}]}
        ]}
        """;

    private const string Namespaces = """
        {"kind":"NamespaceList","apiVersion":"v1","metadata":{"resourceVersion":"300"},"items":[
          {"metadata":{"name":"team-a","uid":"n1","resourceVersion":"301","creationTimestamp":"2026-11-30T10:00:00Z",
            "labels":{"kubernetes.io/metadata.name":"team-a","pull-secrets":"enabled"},
            "managedFields":[{"manager":"kubectl-create","operation":"Update","apiVersion":"v1","time":"2026-11-30T10:00:00Z","fieldsType":"FieldsV1","fieldsV1":{"f:metadata":{}}}]},
           "spec":{"finalizers":["kubernetes"]},"status":{"phase":"Active"}},
          {"metadata":{"name":"team-z","uid":"n2","resourceVersion":"302","creationTimestamp":"2026-11-30T10:00:00Z","deletionTimestamp":"2026-11-30T12:00:00Z"},
           "spec":{"finalizers":["kubernetes"]},
           "status":{"phase":"Terminating","conditions":[{"type":"NamespaceDeletionContentFailure","status":"False","lastTransitionTime":"2026-11-30T12:00:01Z","reason":"ContentDeleted","message":"All content successfully deleted"}]}}
        ]}
        """;

    [Fact]
    public void Read_SecretList_EqualsTypedDecodeWithoutManagedFields()
    {
        var lean = Lean<V1SecretList>(Secrets);

        Assert.Equal(Typed<V1SecretList>(Secrets, l => l.Items), KubernetesJson.Serialize(lean));
        Assert.Equal(6, lean.Items.Count);
        Assert.All(lean.Items, s => Assert.Null(s.Metadata.ManagedFields));
    }

    [Fact]
    public void Read_EscapedAndOddValues_DecodedAsTheTypedDecodeDoes()
    {
        var odd = Lean<V1SecretList>(Secrets).Items[2];

        Assert.Equal("say \"hi\"\nline\ttab \\ \u2603", odd.Metadata.Annotations["note"]);
        Assert.Equal("café", odd.Metadata.Labels["app.kubernetes.io/name"]);
        Assert.Equal("", odd.Metadata.Annotations["empty"]);
        Assert.Empty(odd.Data);
        Assert.True(odd.Immutable);
        Assert.Equal(new DateTime(2026, 11, 30, 11, 0, 0, DateTimeKind.Utc).AddTicks(1234560), odd.Metadata.DeletionTimestamp);
        Assert.Equal(new DateTime(2026, 11, 30, 10, 0, 2, DateTimeKind.Utc), odd.Metadata.CreationTimestamp);
        Assert.Equal(DateTimeKind.Utc, odd.Metadata.CreationTimestamp!.Value.Kind);
    }

    [Fact]
    public void Read_FieldsTheLeanReaderDoesNotKnow_KeptThroughTheTypedDecode()
    {
        var items = Lean<V1SecretList>(Secrets).Items;

        var owner = Assert.Single(items[4].Metadata.OwnerReferences);
        Assert.Equal("owner", owner.Name);
        Assert.True(owner.Controller);
        Assert.Equal(Encoding.UTF8.GetBytes("b"), items[4].Data["b"]);
        Assert.Equal("future", items[5].Metadata.Name);
    }

    [Fact]
    public void Read_ListMetadata_ContinueTokenAndCounts()
    {
        var list = Lean<V1SecretList>(Secrets);

        Assert.Equal("eyJydiI6MTIzNDV9", list.Metadata.ContinueProperty);
        Assert.Equal("12345", list.Metadata.ResourceVersion);
        Assert.Equal(7, list.Metadata.RemainingItemCount);
        Assert.Equal("SecretList", list.Kind);
    }

    [Fact]
    public void Read_SameValuesInSeveralItems_SharedNotCopied()
    {
        var items = Lean<V1SecretList>(Secrets).Items;

        Assert.Same(items[0].Data[ManagedSecret.DataKey], items[1].Data[ManagedSecret.DataKey]);
        Assert.Same(items[0].Metadata.Annotations[ManagedSecret.SourcesAnnotation], items[1].Metadata.Annotations[ManagedSecret.SourcesAnnotation]);
        Assert.Equal(Encoding.UTF8.GetBytes("""{"auths":{}}"""), items[0].Data[ManagedSecret.DataKey]);
    }

    [Fact]
    public void Read_AdjacentItemsOfOneNamespace_ShareTheNamespaceString()
    {
        var json = Encoding.UTF8.GetBytes("""
            {"items":[
              {"metadata":{"name":"a","namespace":"team-a"}},{"metadata":{"name":"b","namespace":"team-\u0061"}},
              {"metadata":{"name":"c","namespace":"team-b"}},{"metadata":{"name":"d","namespace":"team-a"}}]}
            """);

        var items = ((V1SecretList)LeanListReader.Read(typeof(V1SecretList), json, json.Length)).Items;

        Assert.Equal(["team-a", "team-a", "team-b", "team-a"], items.Select(i => i.Metadata.NamespaceProperty));
        Assert.Same(items[0].Metadata.NamespaceProperty, items[1].Metadata.NamespaceProperty); // escaped, still equal
        Assert.NotSame(items[0].Metadata.NamespaceProperty, items[3].Metadata.NamespaceProperty); // only the previous one is kept
    }

    [Fact]
    public void Read_SameLabelsAnnotationsAndDataInSeveralItems_OneReadOnlyMap()
    {
        var items = Lean<V1SecretList>(Secrets).Items;

        Assert.Same(items[0].Metadata.Labels, items[1].Metadata.Labels);
        Assert.Same(items[0].Metadata.Annotations, items[1].Metadata.Annotations);
        Assert.Same(items[0].Data, items[1].Data);
        Assert.NotSame(items[0].Metadata.Annotations, items[2].Metadata.Annotations);
        Assert.NotSame(items[0].Data, items[4].Data);
        Assert.Throws<NotSupportedException>(() => items[0].Metadata.Labels["x"] = "changed for every item");
        Assert.Throws<NotSupportedException>(() => items[0].Data["x"] = []);
    }

    [Fact]
    public void Read_NamespaceLabelsDifferInOneValue_EachItsOwnMap()
    {
        var items = Lean<V1NamespaceList>("""
            {"items":[{"metadata":{"name":"a","labels":{"kubernetes.io/metadata.name":"a","pull-secrets":"enabled"}}},
                      {"metadata":{"name":"b","labels":{"kubernetes.io/metadata.name":"b","pull-secrets":"enabled"}}},
                      {"metadata":{"name":"c","labels":{"kubernetes.io/metadata.name":"a","pull-secrets":"enabled"}}}]}
            """).Items;

        Assert.Equal(["a", "b", "a"], items.Select(n => n.Metadata.Labels["kubernetes.io/metadata.name"]));
        Assert.NotSame(items[0].Metadata.Labels, items[1].Metadata.Labels);
        Assert.Same(items[0].Metadata.Labels, items[2].Metadata.Labels);
    }

    [Fact]
    public void Read_MapLargerThanShared_AllPairsLaterDuplicateWins()
    {
        var pairs = string.Join(",", Enumerable.Range(0, PageStrings.MaxSharedMapSize + 3).Select(i => $"\"k{i}\":\"v{i}\""));
        var json = """{"items":[{"metadata":{"name":"a","annotations":{""" + pairs + ""","k0":"last"}}}]}""";

        var annotations = Lean<V1SecretList>(json).Items[0].Metadata.Annotations;

        Assert.Equal(PageStrings.MaxSharedMapSize + 3, annotations.Count);
        Assert.Equal("last", annotations["k0"]);
        Assert.Equal("v18", annotations["k18"]);
    }

    [Fact]
    public void Read_ServiceAccountList_EqualsTypedDecodeWithoutManagedFields()
    {
        var lean = Lean<V1ServiceAccountList>(ServiceAccounts);

        Assert.Equal(Typed<V1ServiceAccountList>(ServiceAccounts, l => l.Items), KubernetesJson.Serialize(lean));
        Assert.Equal(["ecrcred", "regcred"], lean.Items[0].ImagePullSecrets.Select(r => r.Name));
        Assert.Equal(2, lean.Items[0].Secrets.Count);
        Assert.False(lean.Items[0].AutomountServiceAccountToken);
    }

    [Fact]
    public void Read_NamespaceList_EqualsTypedDecodeWithoutManagedFields()
    {
        var lean = Lean<V1NamespaceList>(Namespaces);

        Assert.Equal(Typed<V1NamespaceList>(Namespaces, l => l.Items), KubernetesJson.Serialize(lean));
        Assert.Equal("Terminating", lean.Items[1].Status.Phase);
        Assert.Single(lean.Items[1].Status.Conditions);
    }

    [Fact]
    public void Read_MalformedItem_ThrowsJsonExceptionAsTheTypedDecodeDoes()
    {
        const string json = """{"items":[{"metadata":{"name":"x","labels":{"a":1}}}]}""";

        Assert.ThrowsAny<System.Text.Json.JsonException>(() => KubernetesJson.Deserialize<V1SecretList>(json));
        Assert.ThrowsAny<System.Text.Json.JsonException>(() => Lean<V1SecretList>(json));
    }

    [Fact]
    public void Read_EnvelopeValueOfTheWrongType_ThrowsJsonExceptionAsTheTypedDecodeDoes()
    {
        const string json = """{"metadata":{"remainingItemCount":"7"},"items":[]}""";

        Assert.ThrowsAny<System.Text.Json.JsonException>(() => KubernetesJson.Deserialize<V1SecretList>(json));
        Assert.ThrowsAny<System.Text.Json.JsonException>(() => Lean<V1SecretList>(json));
    }

    [Fact]
    public async Task List_ThroughFakeApiServerPaged_SameItemsAsTheLibraryClient()
    {
        await using var fake = await FakeKubeApiServer.StartAsync(cancellationToken: Ct);
        foreach (var ns in new[] { "team-a", "team-b", "team-c" })
        {
            fake.AddNamespace(ns, new Dictionary<string, string> { ["pull-secrets"] = "enabled" });
            fake.AddSecret(Secret(ns, "regcred"));
            fake.AddSecret(Secret(ns, "other"));
        }
        using var lean = fake.CreateClient();
        using var typed = new k8s.Kubernetes(new KubernetesClientConfiguration { Host = fake.Url.ToString() });

        var fromLean = await ListAllAsync(lean);
        var fromTyped = await ListAllAsync(typed);

        Assert.IsType<LeanListKubernetes>(lean);
        Assert.Equal(6, fromLean.Count);
        Assert.All(fromTyped, s => Assert.NotNull(s.Metadata.ManagedFields)); // the fake answers as an apiserver does
        foreach (var s in fromTyped) s.Metadata.ManagedFields = null;
        Assert.Equal(KubernetesJson.Serialize(fromTyped), KubernetesJson.Serialize(fromLean));
    }

    [Fact]
    public async Task List_ContinueTokenExpired_Same410AsTheLibraryClient()
    {
        await using var fake = await FakeKubeApiServer.StartAsync(cancellationToken: Ct);
        fake.AddNamespace("team-a");
        fake.AddSecret(Secret("team-a", "one"));
        fake.AddSecret(Secret("team-a", "two"));
        fake.AddSecret(Secret("team-a", "three"));
        fake.FaultHook = info => info.Query.Contains("continue=", StringComparison.Ordinal) ? new KubeFault.ServerError(410) : null;
        using var lean = fake.CreateClient();
        using var typed = new k8s.Kubernetes(new KubernetesClientConfiguration { Host = fake.Url.ToString() });

        var fromLean = await Assert.ThrowsAsync<HttpOperationException>(() => ListAllAsync(lean));
        var fromTyped = await Assert.ThrowsAsync<HttpOperationException>(() => ListAllAsync(typed));

        Assert.Equal(HttpStatusCode.Gone, fromLean.Response.StatusCode);
        Assert.Equal("Expired", KubernetesErrors.StatusReason(fromLean));
        Assert.Equal(fromTyped.Response.Content, fromLean.Response.Content);
    }

    [Fact]
    public async Task List_Forbidden_SameStatusAndReasonAsTheLibraryClient()
    {
        await using var fake = await FakeKubeApiServer.StartAsync(cancellationToken: Ct);
        fake.Deny(RbacDenyRule.AtClusterScope("list", "secrets"));
        using var lean = fake.CreateClient();

        var e = await Assert.ThrowsAsync<HttpOperationException>(() => lean.CoreV1.ListSecretForAllNamespacesAsync(cancellationToken: Ct));

        Assert.Equal(HttpStatusCode.Forbidden, e.Response.StatusCode);
        Assert.Equal("Forbidden", KubernetesErrors.StatusReason(e));
        Assert.Equal("forbidden", KubernetesErrors.Describe(e, "list", "secrets", null).Reason);
    }

    private static T Lean<T>(string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        return (T)LeanListReader.Read(typeof(T), bytes, bytes.Length);
    }

    /// <summary>The library's decode, serialized after dropping managedFields (which the lean decode never keeps).</summary>
    private static string Typed<TList>(string json, Func<TList, IEnumerable<IMetadata<V1ObjectMeta>>> items)
    {
        var list = KubernetesJson.Deserialize<TList>(json);
        foreach (var item in items(list)) item.Metadata.ManagedFields = null;
        return KubernetesJson.Serialize(list);
    }

    private static async Task<List<V1Secret>> ListAllAsync(IKubernetes client)
    {
        var all = new List<V1Secret>();
        string? next = null;
        do
        {
            var page = await client.CoreV1.ListSecretForAllNamespacesAsync(continueParameter: next, limit: 2, cancellationToken: Ct);
            all.AddRange(page.Items);
            next = page.Metadata.ContinueProperty;
        } while (!string.IsNullOrEmpty(next));
        return all;
    }

    private static V1Secret Secret(string ns, string name) => new()
    {
        Metadata = new V1ObjectMeta
        {
            Name = name,
            NamespaceProperty = ns,
            Labels = new Dictionary<string, string> { [ManagedSecret.ManagedByLabel] = ManagedSecret.ManagedByValue },
            Annotations = new Dictionary<string, string> { ["note"] = "with \"quotes\" and \u00e9" },
        },
        Type = "Opaque",
        Data = new Dictionary<string, byte[]> { ["a"] = Encoding.UTF8.GetBytes(ns) },
    };
}
