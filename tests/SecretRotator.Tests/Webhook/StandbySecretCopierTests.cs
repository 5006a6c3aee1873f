using k8s.Models;
using SecretRotator.Configuration;
using SecretRotator.Kubernetes;
using SecretRotator.Tests.Fakes.Kubernetes;
using SecretRotator.Webhook;
using static SecretRotator.Tests.Webhook.AdmissionTestReviews;

namespace SecretRotator.Tests.Webhook;

/// <summary>A standby has no credential cache: it copies the managed secret from another namespace.</summary>
public sealed class StandbySecretCopierTests : IAsyncDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private FakeKubeApiServer _api = null!;

    private async Task<StandbySecretCopier> CopierAsync()
    {
        _api = await FakeKubeApiServer.StartAsync(cancellationToken: Ct);
        _api.AddNamespace("team-a");
        _api.AddNamespace("team-b");
        return new StandbySecretCopier(Config(), new FixedKubernetesClientProvider(_api.CreateClient()), TimeProvider.System);
    }

    private static V1Secret Managed(string ns, string name = "regcred", string instance = "default") => new()
    {
        Metadata = new V1ObjectMeta
        {
            Name = name,
            NamespaceProperty = ns,
            Labels = new Dictionary<string, string> { [ManagedSecret.ManagedByLabel] = ManagedSecret.ManagedByValue, [ManagedSecret.InstanceLabel] = instance },
            Annotations = new Dictionary<string, string> { [ManagedSecret.RegistriesAnnotation] = "hub", ["kubectl.kubernetes.io/last-applied-configuration"] = "{}" },
        },
        Type = ManagedSecret.SecretType,
        Data = new Dictionary<string, byte[]>
        {
            [ManagedSecret.DataKey] = DockerConfigJson.Build([new SecretRotator.Kubernetes.DockerAuthEntry("registry.example.com", "robot", "s3cr3t")]),
        },
    };

    [Fact]
    public async Task Ensure_MissingAndAnotherNamespaceHasIt_CreatesTheSameContent()
    {
        var copier = await CopierAsync();
        _api.AddSecret(Managed("team-a"));

        var ensured = await copier.EnsureAsync(Config().Secrets[0], "team-b", dryRun: false, Ct);

        Assert.Equal(EnsuredState.Created, ensured.State);
        var copy = _api.GetSecret("team-b", "regcred")!;
        Assert.Equal(_api.GetSecret("team-a", "regcred")!.Data[ManagedSecret.DataKey], copy.Data[ManagedSecret.DataKey]);
        Assert.Equal(ManagedSecret.ManagedByValue, copy.Metadata.Labels[ManagedSecret.ManagedByLabel]);
        Assert.Equal("hub", copy.Metadata.Annotations[ManagedSecret.RegistriesAnnotation]);
        Assert.False(copy.Metadata.Annotations.ContainsKey("kubectl.kubernetes.io/last-applied-configuration"));
    }

    [Fact]
    public async Task Servers_FromTheCopiedSecret()
    {
        var copier = await CopierAsync();
        _api.AddSecret(Managed("team-a"));

        var servers = await copier.ServersAsync(Config().Secrets[0], Ct);

        Assert.Equal(["registry.example.com"], servers);
    }

    [Fact]
    public async Task Ensure_Present_NoWrite()
    {
        var copier = await CopierAsync();
        _api.AddSecret(Managed("team-b"));

        var ensured = await copier.EnsureAsync(Config().Secrets[0], "team-b", dryRun: false, Ct);

        Assert.Equal(EnsuredState.Present, ensured.State);
        Assert.Empty(_api.Writes);
    }

    [Fact]
    public async Task Ensure_DryRun_CreatesNothing()
    {
        var copier = await CopierAsync();
        _api.AddSecret(Managed("team-a"));

        var ensured = await copier.EnsureAsync(Config().Secrets[0], "team-b", dryRun: true, Ct);

        Assert.Equal(EnsuredState.WouldCreate, ensured.State);
        Assert.Null(_api.GetSecret("team-b", "regcred"));
        Assert.Empty(_api.Writes);
    }

    [Fact]
    public async Task Ensure_NothingToCopyFrom_FailsWithoutWriting()
    {
        var copier = await CopierAsync();
        _api.AddSecret(Managed("team-a", instance: "another-installation"));

        var ensured = await copier.EnsureAsync(Config().Secrets[0], "team-b", dryRun: false, Ct);

        Assert.Equal(EnsuredState.Failed, ensured.State);
        Assert.Empty(_api.Writes);
    }

    [Fact]
    public async Task Ensure_CreatedByAnotherReplicaMeanwhile_ConflictCountsAsPresent()
    {
        var copier = await CopierAsync();
        _api.AddSecret(Managed("team-a"));
        // Another replica's create lands between our read (404) and our create.
        var raced = 0;
        _api.FaultHook = request =>
        {
            if (request.Verb == "create" && request.Namespace == "team-b" && Interlocked.Exchange(ref raced, 1) == 0) _api.AddSecret(Managed("team-b"));
            return null;
        };

        var ensured = await copier.EnsureAsync(Config().Secrets[0], "team-b", dryRun: false, Ct);

        Assert.Equal(EnsuredState.Present, ensured.State);
        Assert.Equal(1, raced);
    }

    [Fact]
    public async Task Ensure_NamespacedScopeClusterListForbidden_CopiesFromANamedNamespace()
    {
        // Arrange: rbac.scope namespaced: a Role per named namespace, no cluster-wide secret LIST.
        var copier = await CopierAsync();
        _api.AddNamespace("team-c");
        _api.AddSecret(Managed("team-b"));
        _api.Deny(RbacDenyRule.AtClusterScope("list", "secrets"));
        var target = new SecretTarget("regcred", ["hub"], new NamespaceSelection(["team-a", "team-b", "team-c"], null, []), ["default"], Config().Secrets[0].Location);

        // Act
        var ensured = await copier.EnsureAsync(target, "team-c", dryRun: false, Ct);

        // Assert
        Assert.Equal(EnsuredState.Created, ensured.State);
        Assert.Equal(_api.GetSecret("team-b", "regcred")!.Data[ManagedSecret.DataKey], _api.GetSecret("team-c", "regcred")!.Data[ManagedSecret.DataKey]);
    }

    [Fact]
    public async Task Ensure_NamespacedScopeNoNamedNamespaceHoldsIt_FailsWithoutCreating()
    {
        // Arrange
        var copier = await CopierAsync();
        _api.Deny(RbacDenyRule.AtClusterScope("list", "secrets"));
        _api.AddSecret(Managed("team-a", instance: "another-install"));
        var target = new SecretTarget("regcred", ["hub"], new NamespaceSelection(["team-a", "team-b"], null, []), ["default"], Config().Secrets[0].Location);

        // Act
        var ensured = await copier.EnsureAsync(target, "team-b", dryRun: false, Ct);

        // Assert
        Assert.Equal(EnsuredState.Failed, ensured.State);
        Assert.Null(_api.GetSecret("team-b", "regcred"));
    }

    public async ValueTask DisposeAsync()
    {
        if (_api is not null) await _api.DisposeAsync();
    }
}
