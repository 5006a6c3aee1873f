using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using SecretRotator.Configuration;
using SecretRotator.Kubernetes;
using SecretRotator.Rotation;
using SecretRotator.Telemetry;
using SecretRotator.Tests.Fakes.Telemetry;
using SecretRotator.Tests.TestSupport;

namespace SecretRotator.Tests.Telemetry;

/// <summary>
/// The real rotation pipeline against the fake Kubernetes API server, publishing through IMetricsPublisher to a real
/// Pushgateway — what `run` does at the end of a CronJob pod's life.
/// </summary>
public sealed class RunPipelineMetricsTests
{
    private static readonly DateTimeOffset FirstRun = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Run_RegistryFailsOnSecondRun_PushgatewayKeepsItsLastSuccessAndCountsTheFailure()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var gateway = await ServerProcess.StartPushgatewayAsync(ct);
        await using var h = await RotatorHarness.StartAsync("default", "team-a");
        h.WriteFile("a.txt", "password-a");
        h.WriteFile("b.txt", "password-b");
        var configPath = h.WriteConfig($$$"""
            registries:
              - {name: reg-a, type: static, server: a.example.com, username: ua, password: {file: a.txt}}
              - {name: reg-b, type: static, server: b.example.com, username: ub, password: {file: b.txt}}
            secrets:
              - name: regcred
                registries: [reg-a, reg-b]
                namespaces: {names: [default, team-a]}
            metrics:
              pushgateway: {url: "{{{gateway.Address}}}", instance: test-cluster}
            """);

        var first = await RunAndPublishAsync(h, configPath, FirstRun, ct);
        h.WriteFile("a.txt", "password-a2");
        h.WriteFile("b.txt", ""); // reg-b fails: empty password
        var second = await RunAndPublishAsync(h, configPath, FirstRun.AddMinutes(30), ct);

        Assert.Equal(0, first.ExitCode);
        Assert.Equal(1, second.ExitCode);
        using var http = new HttpClient();
        var samples = Exposition.Parse(await http.GetStringAsync(new Uri(gateway.Address, "metrics"), ct))
            .Where(s => s.Name.StartsWith("secret_rotator_", StringComparison.Ordinal) && s.Labels.GetValueOrDefault("instance") == "test-cluster").ToList();
        Assert.Equal(FirstRun.AddMinutes(30).ToUnixTimeSeconds(), Exposition.Single(samples, "secret_rotator_last_success_timestamp_seconds", ("registry", "reg-a")).Value);
        Assert.Equal(FirstRun.ToUnixTimeSeconds(), Exposition.Single(samples, "secret_rotator_last_success_timestamp_seconds", ("registry", "reg-b")).Value);
        Assert.Equal(1, Exposition.Single(samples, "secret_rotator_token_requests_total", ("registry", "reg-b"), ("outcome", "failure")).Value);
        Assert.Equal(2, Exposition.Single(samples, "secret_rotator_secret_writes_total", ("secret", "regcred"), ("outcome", "updated")).Value);
        Assert.DoesNotContain(samples, s => s.Name == "secret_rotator_secret_writes_total" && s.Labels["outcome"] == "created");
        Assert.Equal(1, Exposition.Single(samples, "secret_rotator_run_duration_seconds_count").Value);
    }

    private static async Task<RunReport> RunAndPublishAsync(RotatorHarness h, string configPath, DateTimeOffset now, CancellationToken ct)
    {
        // One container per run, as each CronJob run is a new process; wired as the CLI wires it.
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().Build());
        services.AddFakeLogging();
        services.AddSecretRotator();
        services.AddSecretRotatorTelemetry();
        services.AddSingleton<TimeProvider>(new FakeTimeProvider(now));
        services.AddSingleton<IKubernetesClientProvider>(new FixedKubernetesClientProvider(h.Client()));
        await using var provider = services.BuildServiceProvider();

        var config = provider.GetRequiredService<ConfigLoader>().Load(configPath);
        var report = await provider.GetRequiredService<RotationRunner>().RunAsync(config, new RunOptions(), ct);
        await provider.GetRequiredService<IMetricsPublisher>().PublishAsync(config, ct);

        Assert.Contains(provider.GetFakeLogCollector().GetSnapshot(), l => l.Id.Id == 3000);
        return report;
    }
}
