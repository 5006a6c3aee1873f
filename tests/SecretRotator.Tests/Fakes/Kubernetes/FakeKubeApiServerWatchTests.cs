using System.Net;
using System.Text;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace SecretRotator.Tests.Fakes.Kubernetes;

/// <summary>Watches, patches, service accounts and namespaces through the real KubernetesClient.</summary>
public sealed class FakeKubeApiServerWatchTests : IAsyncLifetime
{
    private FakeKubeApiServer _fake = null!;
    private IKubernetes _client = null!;
    private CancellationTokenSource _timeout = null!;

    // Bounds a broken watch test instead of hanging the run; never a sleep.
    private CancellationToken Ct => _timeout.Token;

    public async ValueTask InitializeAsync()
    {
        _timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        _timeout.CancelAfter(TimeSpan.FromSeconds(20));
        _fake = await FakeKubeApiServer.StartAsync(cancellationToken: Ct);
        _client = _fake.CreateClient();
        _fake.AddNamespace("team-a", new Dictionary<string, string> { ["pull-secrets"] = "enabled" });
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _fake.DisposeAsync();
        _timeout.Dispose();
    }

    [Fact]
    public async Task WatchNamespaces_NamespaceCreatedAfterStart_ReceivesAdded()
    {
        await using var events = Watch().GetAsyncEnumerator(Ct);
        Assert.True(await events.MoveNextAsync()); // the initial ADDED for team-a: the stream is live

        await _client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "late" } }, cancellationToken: Ct);

        Assert.True(await events.MoveNextAsync());
        Assert.Equal((WatchEventType.Added, "late"), (events.Current.Item1, events.Current.Item2.Metadata.Name));
        Assert.Equal(1, _fake.CountRequests("watch", "namespaces"));
    }

    [Fact]
    public async Task WatchNamespaces_FromListResourceVersion_SendsOnlyLaterChanges()
    {
        var list = await _client.CoreV1.ListNamespaceAsync(cancellationToken: Ct);
        _fake.AddNamespace("b");
        _fake.DeleteNamespace("b");

        await using var events = Watch(resourceVersion: list.Metadata.ResourceVersion).GetAsyncEnumerator(Ct);

        Assert.True(await events.MoveNextAsync());
        Assert.Equal((WatchEventType.Added, "b"), (events.Current.Item1, events.Current.Item2.Metadata.Name));
        Assert.True(await events.MoveNextAsync());
        Assert.Equal((WatchEventType.Deleted, "b"), (events.Current.Item1, events.Current.Item2.Metadata.Name));
    }

    [Fact]
    public async Task WatchNamespaces_SecretCreatedWhileWatching_SendsNothingForIt()
    {
        await using var events = Watch().GetAsyncEnumerator(Ct);
        Assert.True(await events.MoveNextAsync()); // the initial ADDED for team-a

        _fake.AddSecret(Secret());
        _fake.AddNamespace("after-the-secret");

        Assert.True(await events.MoveNextAsync());
        Assert.Equal((WatchEventType.Added, "after-the-secret"), (events.Current.Item1, events.Current.Item2.Metadata.Name));
    }

    [Fact]
    public async Task WatchNamespaces_LabelRemoved_ReportsDeletedToSelectorWatch()
    {
        await using var events = Watch(labelSelector: "pull-secrets=enabled").GetAsyncEnumerator(Ct);
        Assert.True(await events.MoveNextAsync());

        _fake.SetNamespaceLabels("team-a", new Dictionary<string, string>());

        Assert.True(await events.MoveNextAsync());
        Assert.Equal((WatchEventType.Deleted, "team-a"), (events.Current.Item1, events.Current.Item2.Metadata.Name));
    }

    [Fact]
    public async Task WatchNamespaces_CompactedResourceVersion_EndsWithError()
    {
        var list = await _client.CoreV1.ListNamespaceAsync(cancellationToken: Ct);
        _fake.AddNamespace("b");
        _fake.CompactWatchHistory();

        Exception? error = null;
        var received = 0;

        await foreach (var _ in _client.CoreV1.WatchListNamespaceAsync(resourceVersion: list.Metadata.ResourceVersion, onError: e => error = e, cancellationToken: Ct))
        {
            received++;
        }

        Assert.Equal(0, received);
        var status = Assert.IsType<KubernetesException>(error).Status;
        Assert.Equal((410, "Expired"), (status.Code, status.Reason));
    }

    [Fact]
    public async Task WatchNamespaces_AllowWatchBookmarks_SendsBookmarkWithOnlyTheCurrentResourceVersion()
    {
        _fake.BookmarkInterval = TimeSpan.FromMilliseconds(50);
        var list = await _client.CoreV1.ListNamespaceAsync(cancellationToken: Ct);
        _fake.AddSecret(Secret()); // moves the global version; namespace watches see no event for it

        await using var events = _client.CoreV1.WatchListNamespaceAsync(allowWatchBookmarks: true, resourceVersion: list.Metadata.ResourceVersion,
            cancellationToken: Ct).GetAsyncEnumerator(Ct);

        Assert.True(await events.MoveNextAsync());
        var (type, bookmark) = events.Current;
        Assert.Equal(WatchEventType.Bookmark, type);
        Assert.Equal(_fake.ResourceVersion.ToString(System.Globalization.CultureInfo.InvariantCulture), bookmark.Metadata.ResourceVersion);
        Assert.Equal(("Namespace", "v1", null), (bookmark.Kind, bookmark.ApiVersion, bookmark.Metadata.Name));
        Assert.Contains(_fake.Bookmarks, b => b.Resource == "namespaces" && b.ResourceVersion == _fake.ResourceVersion);
    }

    [Fact]
    public async Task WatchNamespaces_BookmarkAfterChange_ComesAfterTheChangeItCovers()
    {
        _fake.BookmarkInterval = TimeSpan.FromMilliseconds(20);
        await using var events = _client.CoreV1.WatchListNamespaceAsync(allowWatchBookmarks: true, resourceVersion: _fake.ResourceVersion.ToString(System.Globalization.CultureInfo.InvariantCulture),
            cancellationToken: Ct).GetAsyncEnumerator(Ct);
        Assert.True(await events.MoveNextAsync()); // a bookmark: the stream is live
        _fake.AddNamespace("late");
        var added = _fake.ResourceVersion;

        // Every bookmark at or past the change's version must come after the change itself.
        while (await events.MoveNextAsync() && events.Current.Item1 == WatchEventType.Bookmark)
        {
            Assert.True(long.Parse(events.Current.Item2.Metadata.ResourceVersion, System.Globalization.CultureInfo.InvariantCulture) < added);
        }

        Assert.Equal((WatchEventType.Added, "late"), (events.Current.Item1, events.Current.Item2.Metadata.Name));
    }

    [Fact]
    public async Task WatchNamespaces_BookmarksNotRequested_SendsNone()
    {
        _fake.BookmarkInterval = TimeSpan.FromMilliseconds(20);
        await using var events = Watch().GetAsyncEnumerator(Ct);
        Assert.True(await events.MoveNextAsync()); // initial ADDED for team-a
        // Bookmark-requesting watch on the same server: once it has had two, the other stream has had as many ticks.
        await using var other = _client.CoreV1.WatchListSecretForAllNamespacesAsync(allowWatchBookmarks: true, cancellationToken: Ct).GetAsyncEnumerator(Ct);
        Assert.True(await other.MoveNextAsync());
        Assert.True(await other.MoveNextAsync());

        _fake.AddNamespace("next");

        Assert.True(await events.MoveNextAsync());
        Assert.Equal((WatchEventType.Added, "next"), (events.Current.Item1, events.Current.Item2.Metadata.Name));
        Assert.DoesNotContain(_fake.Bookmarks, b => b.Resource == "namespaces");
    }

    [Fact]
    public async Task WatchNamespaces_FromBookmarkVersionAfterCompaction_ResumesWithout410()
    {
        _fake.BookmarkInterval = TimeSpan.FromMilliseconds(20);
        var list = await _client.CoreV1.ListNamespaceAsync(cancellationToken: Ct);
        _fake.AddSecret(Secret());
        string bookmarked;
        await using (var events = _client.CoreV1.WatchListNamespaceAsync(allowWatchBookmarks: true, resourceVersion: list.Metadata.ResourceVersion,
            cancellationToken: Ct).GetAsyncEnumerator(Ct))
        {
            Assert.True(await events.MoveNextAsync());
            bookmarked = events.Current.Item2.Metadata.ResourceVersion;
        }
        _fake.CompactWatchHistory();
        Exception? error = null;

        await using var resumed = _client.CoreV1.WatchListNamespaceAsync(allowWatchBookmarks: true, resourceVersion: bookmarked, onError: e => error = e,
            cancellationToken: Ct).GetAsyncEnumerator(Ct);
        Assert.True(await resumed.MoveNextAsync());
        Exception? stale = null;
        await foreach (var _ in _client.CoreV1.WatchListNamespaceAsync(resourceVersion: list.Metadata.ResourceVersion, onError: e => stale = e, cancellationToken: Ct))
        {
        }

        Assert.Equal(410, Assert.IsType<KubernetesException>(stale).Status.Code);
        Assert.Null(error);
        Assert.Equal(WatchEventType.Bookmark, resumed.Current.Item1);
    }

    [Fact]
    public async Task PatchSecret_MergePatchLabels_MergesAndBumpsVersion()
    {
        var created = _fake.AddSecret(Secret());
        var patch = new V1Patch("""{"metadata":{"labels":{"added":"yes"}}}""", V1Patch.PatchType.MergePatch);

        var patched = await _client.CoreV1.PatchNamespacedSecretAsync(patch, "regcred", "team-a", cancellationToken: Ct);

        Assert.Equal("yes", patched.Metadata.Labels["added"]);
        Assert.Equal("keep", patched.Metadata.Labels["existing"]);
        Assert.NotEqual(created.Metadata.ResourceVersion, patched.Metadata.ResourceVersion);
    }

    [Fact]
    public async Task PatchSecret_StaleResourceVersionInPatch_Returns409Conflict()
    {
        _fake.AddSecret(Secret());
        var patch = new V1Patch("""{"metadata":{"resourceVersion":"1","labels":{"a":"b"}}}""", V1Patch.PatchType.StrategicMergePatch);

        var e = await Assert.ThrowsAsync<HttpOperationException>(() => _client.CoreV1.PatchNamespacedSecretAsync(patch, "regcred", "team-a", cancellationToken: Ct));

        Assert.Equal(HttpStatusCode.Conflict, e.Response.StatusCode);
    }

    [Fact]
    public async Task PatchSecret_JsonPatchTestFails_Returns422AndLeavesSecret()
    {
        var created = _fake.AddSecret(Secret());
        var patch = new V1Patch("""[{"op":"test","path":"/metadata/labels/existing","value":"other"},{"op":"remove","path":"/metadata/labels/existing"}]""", V1Patch.PatchType.JsonPatch);

        var e = await Assert.ThrowsAsync<HttpOperationException>(() => _client.CoreV1.PatchNamespacedSecretAsync(patch, "regcred", "team-a", cancellationToken: Ct));

        Assert.Equal((HttpStatusCode)422, e.Response.StatusCode);
        Assert.Equal(created.Metadata.ResourceVersion, _fake.GetSecret("team-a", "regcred")!.Metadata.ResourceVersion);
    }

    [Fact]
    public async Task CreateNamespace_ViaApi_GetsDefaultServiceAccountAndNameLabel()
    {
        var ns = await _client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "fresh" } }, cancellationToken: Ct);

        var sa = await _client.CoreV1.ReadNamespacedServiceAccountAsync("default", "fresh", cancellationToken: Ct);

        Assert.Equal("fresh", ns.Metadata.Labels["kubernetes.io/metadata.name"]);
        Assert.Equal("Active", ns.Status.Phase);
        Assert.Equal("fresh", sa.Metadata.NamespaceProperty);
    }

    [Fact]
    public async Task PatchServiceAccount_StrategicMergeImagePullSecrets_ReplacesList()
    {
        _fake.AddServiceAccount(new V1ServiceAccount
        {
            Metadata = new V1ObjectMeta { Name = "builder", NamespaceProperty = "team-a" },
            ImagePullSecrets = [new V1LocalObjectReference { Name = "theirs" }],
        });
        var patch = new V1Patch("""{"imagePullSecrets":[{"name":"theirs"},{"name":"regcred"}]}""", V1Patch.PatchType.StrategicMergePatch);

        await _client.CoreV1.PatchNamespacedServiceAccountAsync(patch, "builder", "team-a", cancellationToken: Ct);

        Assert.Equal(["theirs", "regcred"], _fake.GetServiceAccount("team-a", "builder")!.ImagePullSecrets.Select(r => r.Name));
    }

    [Fact]
    public async Task PatchServiceAccount_JsonPatchTestNullOnAbsentList_AddsListAndKeepsVersionFree()
    {
        var before = await _client.CoreV1.ReadNamespacedServiceAccountAsync("default", "team-a", cancellationToken: Ct);
        var patch = new V1Patch("""[{"op":"test","path":"/imagePullSecrets","value":null},{"op":"add","path":"/imagePullSecrets","value":[{"name":"regcred"}]}]""",
            V1Patch.PatchType.JsonPatch);

        var patched = await _client.CoreV1.PatchNamespacedServiceAccountAsync(patch, "default", "team-a", cancellationToken: Ct);

        Assert.Equal(["regcred"], patched.ImagePullSecrets.Select(r => r.Name));
        Assert.NotEqual(before.Metadata.ResourceVersion, patched.Metadata.ResourceVersion);
    }

    [Fact]
    public async Task PatchServiceAccount_JsonPatchTestOnMissingParent_Returns422()
    {
        var patch = new V1Patch("""[{"op":"test","path":"/metadata/annotations/x","value":null}]""", V1Patch.PatchType.JsonPatch);

        var e = await Assert.ThrowsAsync<HttpOperationException>(() => _client.CoreV1.PatchNamespacedServiceAccountAsync(patch, "default", "team-a", cancellationToken: Ct));

        Assert.Equal((HttpStatusCode)422, e.Response.StatusCode);
    }

    [Fact]
    public async Task ReplaceServiceAccount_CurrentVersion_Succeeds()
    {
        var sa = await _client.CoreV1.ReadNamespacedServiceAccountAsync("default", "team-a", cancellationToken: Ct);
        sa.ImagePullSecrets = [new V1LocalObjectReference { Name = "regcred" }];

        var replaced = await _client.CoreV1.ReplaceNamespacedServiceAccountAsync(sa, "default", "team-a", cancellationToken: Ct);

        Assert.Equal("regcred", replaced.ImagePullSecrets.Single().Name);
        Assert.Equal(sa.Metadata.Uid, replaced.Metadata.Uid);
    }

    [Fact]
    public async Task ReadNamespace_Denied_ForbiddenNamesTheNamespace()
    {
        _fake.Deny(RbacDenyRule.Everywhere("get", "namespaces"));

        var e = await Assert.ThrowsAsync<HttpOperationException>(() => _client.CoreV1.ReadNamespaceAsync("team-a", cancellationToken: Ct));

        Assert.Equal(
            "namespaces \"team-a\" is forbidden: User \"system:serviceaccount:secret-rotator:secret-rotator\" cannot get resource \"namespaces\" in API group \"\" in the namespace \"team-a\"",
            KubernetesJson.Deserialize<V1Status>(e.Response.Content).Message);
    }

    [Fact]
    public async Task CreateSecret_StringData_StoredAsData()
    {
        var secret = new V1Secret { Metadata = new V1ObjectMeta { Name = "plain" }, StringData = new Dictionary<string, string> { ["k"] = "v" } };

        var created = await _client.CoreV1.CreateNamespacedSecretAsync(secret, "team-a", cancellationToken: Ct);

        Assert.Equal("v", Encoding.UTF8.GetString(created.Data["k"]));
        Assert.Null(created.StringData);
        Assert.Equal("Opaque", created.Type);
    }

    private IAsyncEnumerable<(WatchEventType, V1Namespace)> Watch(string? labelSelector = null, string? resourceVersion = null) =>
        _client.CoreV1.WatchListNamespaceAsync(labelSelector: labelSelector, resourceVersion: resourceVersion, cancellationToken: Ct);

    private static V1Secret Secret() => new()
    {
        Metadata = new V1ObjectMeta { Name = "regcred", NamespaceProperty = "team-a", Labels = new Dictionary<string, string> { ["existing"] = "keep" } },
        Type = "Opaque",
        Data = new Dictionary<string, byte[]> { ["k"] = [1, 2, 3] },
    };
}
