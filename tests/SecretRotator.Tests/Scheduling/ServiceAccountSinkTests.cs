using k8s;
using k8s.Models;
using SecretRotator.Configuration;
using SecretRotator.Scheduling;

namespace SecretRotator.Tests.Scheduling;

/// <summary>Which service-account watch events become reconciles: only an account that lacks the secret needs one.</summary>
public sealed class ServiceAccountSinkTests
{
    private static readonly SourceLocation Here = new("test.yaml", 1, 1, "secrets[0]");

    private static readonly RotatorConfig Config = new("test.yaml",
        [new RegistryDefinition("hub", "static", new object(), Here)],
        [new SecretTarget("regcred", ["hub"], new NamespaceSelection(["team-*"], null, []), ["default"], Here)],
        new RotatorSettings(), new MetricsSettings());

    private readonly ReconcileBacklog _queue = new();
    private readonly ServiceAccountSink _sink;

    public ServiceAccountSinkTests()
    {
        var state = new ClusterState(Config) { Synced = true };
        state.Namespaces["team-a"] = new V1Namespace { Metadata = new V1ObjectMeta { Name = "team-a" } };
        _sink = new ServiceAccountSink(state, Config, _queue);
    }

    private static V1ServiceAccount Account(params string[] pullSecrets) => new()
    {
        Metadata = new V1ObjectMeta { Name = "default", NamespaceProperty = "team-a", ResourceVersion = "7" },
        ImagePullSecrets = pullSecrets.Length == 0 ? null : [.. pullSecrets.Select(n => new V1LocalObjectReference { Name = n })],
    };

    [Fact]
    public async Task ApplyAsync_AccountListsTheSecret_QueuesNothing()
    {
        // Arrange: our own patch coming back through the watch (the entry, next to someone else's).
        var account = Account("other", "regcred");

        // Act
        await _sink.ApplyAsync(WatchEventType.Modified, account, TestContext.Current.CancellationToken);

        // Assert
        Assert.Equal(0, _queue.Depth);
    }

    [Theory]
    [InlineData(WatchEventType.Added)]
    [InlineData(WatchEventType.Modified)]
    public async Task ApplyAsync_AccountWithoutTheSecret_QueuesItsTarget(WatchEventType type)
    {
        // Arrange: a new account, or one whose entry someone removed.
        var account = Account("other");

        // Act
        await _sink.ApplyAsync(type, account, TestContext.Current.CancellationToken);

        // Assert
        Assert.Equal(1, _queue.Depth);
        Assert.Equal(new ReconcileKey("regcred", "team-a"), await _queue.TakeAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task ApplyAsync_AccountWithNoPullSecrets_QueuesItsTarget()
    {
        // Act
        await _sink.ApplyAsync(WatchEventType.Added, Account(), TestContext.Current.CancellationToken);

        // Assert
        Assert.Equal(1, _queue.Depth);
    }
}
