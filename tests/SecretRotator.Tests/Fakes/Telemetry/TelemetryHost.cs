using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using SecretRotator.Configuration;
using SecretRotator.Telemetry;

namespace SecretRotator.Tests.Fakes.Telemetry;

/// <summary>A container wired like the product's (AddSecretRotatorTelemetry) with fake logging and test settings.</summary>
internal sealed class TelemetryHost : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    public TelemetryHost(Dictionary<string, string?>? configuration = null, TimeProvider? time = null, TimeSpan? pushTimeout = null)
    {
        var services = new ServiceCollection();
        services.AddFakeLogging(o => o.CollectRecordsForDisabledLogLevels = false);
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Debug));
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(configuration ?? []).Build());
        if (time is not null) services.AddSingleton(time);
        services.AddSecretRotatorTelemetry(o => o.PushTimeout = pushTimeout ?? TimeSpan.FromSeconds(30));
        _services = services.BuildServiceProvider();
    }

    public IServiceProvider Services => _services;

    public RotatorMetrics Metrics => _services.GetRequiredService<RotatorMetrics>();

    public MetricsCollector Collector => _services.GetRequiredService<MetricsCollector>();

    public IMetricsPublisher Publisher => _services.GetRequiredService<IMetricsPublisher>();

    public FakeLogCollector Logs => _services.GetFakeLogCollector();

    public static RotatorConfig Config(Uri? pushgateway, string? instance = null) =>
        new("test.yaml", [], [], new RotatorSettings(), new MetricsSettings { PushgatewayUrl = pushgateway, Instance = instance });

    /// <summary>Records one of everything, as a run that wrote regcred with two registries would.</summary>
    public void RecordRun(DateTimeOffset now, params string[] succeededRegistries)
    {
        var metrics = Metrics;
        metrics.SecretWrite("regcred", WriteOutcomes.Created);
        metrics.SecretFailure("regcred", "team-a", "forbidden");
        foreach (var registry in succeededRegistries)
        {
            metrics.TokenRequest(registry, TokenOutcomes.Success);
            metrics.TokenExpiry(registry, now.AddHours(12));
            metrics.LastSuccess(registry, now);
        }
        metrics.RunDuration(TimeSpan.FromSeconds(1.5));
    }

    /// <summary>Every sample name the rotator exports, `run` and daemon (with _bucket/_sum/_count), from a real collection.</summary>
    public static async Task<HashSet<string>> ExportedSampleNamesAsync()
    {
        await using var host = new TelemetryHost();
        host.RecordRun(DateTimeOffset.UnixEpoch, "ghcr");
        // What only the daemon exports, leader election on.
        host.Metrics.AttachDaemon(() => 0, () => true);
        host.Metrics.AttachLeaderElection(() => DateTimeOffset.UnixEpoch);
        host.Metrics.WatchRestart("namespaces", "http_403"); // the daemon's own series
        host.Metrics.NamespaceReady("regcred", TimeSpan.FromSeconds(0.4));
        return host.Collector.Collect().SelectMany(f => f.Samples).Select(s => s.Name).ToHashSet();
    }

    public async ValueTask DisposeAsync() => await _services.DisposeAsync();
}
