using System.Diagnostics.Metrics;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Time.Testing;
using SecretRotator.Rotation;
using SecretRotator.Scheduling;
using SecretRotator.Telemetry;

namespace SecretRotator.Tests.Scheduling;

/// <summary>secret_rotator_namespace_ready_seconds: when a daemon observes time to secret, and what.</summary>
public sealed class NamespaceReadinessTests : IDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 7, 12, 0, 0, TimeSpan.Zero));
    private readonly RotatorMetrics _metrics;
    private readonly MetricCollector<double> _ready;
    private readonly NamespaceReadiness _readiness;

    public NamespaceReadinessTests()
    {
        _metrics = new RotatorMetrics(_services.GetRequiredService<IMeterFactory>());
        _ready = new MetricCollector<double>(_services.GetRequiredService<IMeterFactory>(), RotatorMetrics.MeterName, MetricNames.NamespaceReady);
        _readiness = new NamespaceReadiness(_metrics, _time);
    }

    public void Dispose()
    {
        _ready.Dispose();
        _metrics.Dispose();
        _services.Dispose();
    }

    // As the API server sets it: whole seconds, UTC.
    private V1Namespace Created(string name, TimeSpan ago = default) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, CreationTimestamp = (_time.GetUtcNow() - ago).UtcDateTime },
    };

    private static TargetResult Result(string ns, Outcome outcome, string secret = "regcred") => new(secret, ns, outcome, null, null);

    [Fact]
    public void Written_SecretCreatedInANamespaceThatAppeared_ObservesNowMinusCreationTimestamp()
    {
        // Arrange: the watch delivers the namespace 0.3 s after its creation; the secret is created 2.5 s after it.
        _readiness.Appeared(Created("team-new"));
        _time.Advance(TimeSpan.FromSeconds(2.5));

        // Act
        _readiness.Written(Result("team-new", Outcome.Created));

        // Assert
        var measurement = Assert.Single(_ready.GetMeasurementSnapshot());
        Assert.Equal(2.5, measurement.Value, precision: 6);
        Assert.Equal("regcred", measurement.Tags["secret"]);
        Assert.False(measurement.Tags.ContainsKey("namespace"));
    }

    [Fact]
    public void Written_RewritesAndARecreateOfTheSameSecret_ObservedOnlyOnce()
    {
        // Arrange
        _readiness.Appeared(Created("team-new"));
        _time.Advance(TimeSpan.FromSeconds(1));
        _readiness.Written(Result("team-new", Outcome.Created));

        // Act: a rotation rewrites it, someone deletes it and the daemon creates it again.
        _time.Advance(TimeSpan.FromMinutes(10));
        _readiness.Written(Result("team-new", Outcome.Updated));
        _readiness.Written(Result("team-new", Outcome.Unchanged));
        _readiness.Written(Result("team-new", Outcome.Created));

        // Assert
        Assert.Equal(1.0, Assert.Single(_ready.GetMeasurementSnapshot()).Value, precision: 6);
    }

    [Fact]
    public void Written_SecondSecretInTheSameNamespace_ObservedWithItsOwnLabel()
    {
        // Arrange
        _readiness.Appeared(Created("team-new"));
        _time.Advance(TimeSpan.FromSeconds(1));
        _readiness.Written(Result("team-new", Outcome.Created));
        _time.Advance(TimeSpan.FromSeconds(2));

        // Act
        _readiness.Written(Result("team-new", Outcome.Created, secret: "ecrcred"));

        // Assert
        Assert.Equal([("regcred", 1.0), ("ecrcred", 3.0)],
            _ready.GetMeasurementSnapshot().Select(m => ((string)m.Tags["secret"]!, Math.Round(m.Value, 6))));
    }

    [Fact]
    public void Written_NamespaceThatExistedBeforeTheDaemonWatched_NotObserved()
    {
        // Arrange: never Appeared (it came with the first list, or a relist).
        _time.Advance(TimeSpan.FromSeconds(1));

        // Act
        _readiness.Written(Result("team-old", Outcome.Created));

        // Assert
        Assert.Empty(_ready.GetMeasurementSnapshot());
    }

    [Fact]
    public void Written_FailedOrForeignOutcome_NotObservedAndALaterCreateStillIs()
    {
        // Arrange
        _readiness.Appeared(Created("team-new"));
        _time.Advance(TimeSpan.FromSeconds(4));
        _readiness.Written(Result("team-new", Outcome.Failed));
        _readiness.Written(Result("team-new", Outcome.Foreign));
        Assert.Empty(_ready.GetMeasurementSnapshot());
        _time.Advance(TimeSpan.FromSeconds(6));

        // Act
        _readiness.Written(Result("team-new", Outcome.Created));

        // Assert: the retry that finally created it: 10 s after creation.
        Assert.Equal(10.0, Assert.Single(_ready.GetMeasurementSnapshot()).Value, precision: 6);
    }

    [Fact]
    public void Written_AfterTheNamespaceWasDeletedOrPastTheWindow_NotObserved()
    {
        // Arrange
        _readiness.Appeared(Created("gone"));
        _readiness.Deleted("gone");
        _readiness.Appeared(Created("slow"));
        _time.Advance(NamespaceReadiness.Window + TimeSpan.FromSeconds(1));

        // Act
        _readiness.Written(Result("gone", Outcome.Created));
        _readiness.Written(Result("slow", Outcome.Created));

        // Assert
        Assert.Empty(_ready.GetMeasurementSnapshot());
    }

    [Fact]
    public void Written_CreationTimestampAheadOfOurClock_ObservesZero()
    {
        // Arrange: the API server's clock is 2 s ahead of ours.
        _readiness.Appeared(Created("skewed", ago: TimeSpan.FromSeconds(-2)));

        // Act
        _readiness.Written(Result("skewed", Outcome.Created));

        // Assert
        Assert.Equal(0.0, Assert.Single(_ready.GetMeasurementSnapshot()).Value);
    }
}
