using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using SecretRotator.Configuration;
using SecretRotator.Rotation;
using SecretRotator.Telemetry;

namespace SecretRotator.Tests.Telemetry;

/// <summary>
/// The last-success contract of a pass: a registry succeeded when every secret using it holds a valid credential for it
/// and none failed, whether its token was fetched in this pass or carried over because it is not yet due.
/// </summary>
public sealed class RunRecorderTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 6, 0, 0, TimeSpan.Zero);
    private static readonly SecretTarget Target = new("regcred", ["ecr", "hub"], new NamespaceSelection(["team-*"], null, []), [], new SourceLocation("config.yaml", 1, 1, "secrets[0]"));

    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly RotatorMetrics _metrics;
    private readonly MetricCollector<double> _lastSuccess;

    public RunRecorderTests()
    {
        var meters = _services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        _metrics = new RotatorMetrics(meters);
        _lastSuccess = new MetricCollector<double>(meters, RotatorMetrics.MeterName, MetricNames.LastSuccess);
    }

    [Fact]
    public void Pass_TokenCarriedOverAndSecretsIntact_AdvancesLastSuccess()
    {
        var report = Report(new TargetResult("regcred", "team-a", Outcome.Unchanged), carriedOverEcr: true);

        new RunRecorder(_metrics, NullLogger<RunRecorder>.Instance).Pass(report, [Target], Now, TimeSpan.FromSeconds(1));

        Assert.Equal(Now.ToUnixTimeSeconds(), LastSuccess("ecr"));
        Assert.Equal(Now.ToUnixTimeSeconds(), LastSuccess("hub"));
    }

    [Fact]
    public void Pass_TokenCarriedOverButASecretFailed_KeepsLastSuccess()
    {
        var report = Report(new TargetResult("regcred", "team-a", Outcome.Failed, "forbidden", "secrets is forbidden"), carriedOverEcr: true);

        new RunRecorder(_metrics, NullLogger<RunRecorder>.Instance).Pass(report, [Target], Now, TimeSpan.FromSeconds(1));

        Assert.Null(LastSuccess("ecr"));
        Assert.Null(LastSuccess("hub"));
    }

    [Fact]
    public void Pass_DryRun_RecordsNoLastSuccess()
    {
        var report = Report(new TargetResult("regcred", "team-a", Outcome.Unchanged), carriedOverEcr: true) with { DryRun = true };

        new RunRecorder(_metrics, NullLogger<RunRecorder>.Instance).Pass(report, [Target], Now, TimeSpan.FromSeconds(1));

        Assert.Null(LastSuccess("ecr"));
    }

    private static RunReport Report(TargetResult target, bool carriedOverEcr) => new([target], new Dictionary<string, RegistryResult>
    {
        ["ecr"] = new("ecr", Fetched: !carriedOverEcr, Now.AddHours(10)),
        ["hub"] = new("hub", Fetched: true, ExpiresAt: null),
    }, DryRun: false);

    private double? LastSuccess(string registry)
    {
        _lastSuccess.RecordObservableInstruments();
        return _lastSuccess.GetMeasurementSnapshot().LastOrDefault(m => Equals(m.Tags["registry"], registry))?.Value;
    }

    public void Dispose()
    {
        _lastSuccess.Dispose();
        _metrics.Dispose();
        _services.Dispose();
    }
}
