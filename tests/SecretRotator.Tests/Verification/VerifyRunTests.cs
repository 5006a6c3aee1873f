using System.Diagnostics.Metrics;
using System.Text;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using SecretRotator.Kubernetes;
using SecretRotator.Telemetry;
using SecretRotator.Tests.Fakes.Verification;
using SecretRotator.Tests.TestSupport;

namespace SecretRotator.Tests.Verification;

/// <summary>settings.verify through the real CLI: a credential the registry rejects is a failed fetch.</summary>
public sealed class VerifyRunTests
{
    private const string Good = "good-Pa55word-for-verify";
    private const string Bad = "bad-Pa55word-for-verify";

    private static string Config(RotatorHarness h, string server, string password, bool verify = true) =>
        h.WriteVerifyConfig(server, "bot", password, verify);

    private static async Task<FakeRegistryServer> Registry(RegistryAuth auth = RegistryAuth.Basic)
    {
        var registry = await FakeRegistryServer.StartAsync(TestContext.Current.CancellationToken);
        registry.Auth = auth;
        registry.Users["bot"] = Good;
        return registry;
    }

    /// <summary>Routes the run's meters through a factory the test owns, so only this run's measurements are seen.</summary>
    private static MetricCollector<long> CollectTokenRequests(RotatorHarness h)
    {
        var meters = new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>();
        h.Configure = services => services.AddSingleton(meters);
        return new MetricCollector<long>(meters, RotatorMetrics.MeterName, "secret_rotator_token_requests");
    }

    private static string Dockerconfig(RotatorHarness h) => Encoding.UTF8.GetString(h.Secret("default", "regcred").Data[ManagedSecret.DataKey]);

    [Theory]
    [InlineData(RegistryAuth.Basic)]
    [InlineData(RegistryAuth.Bearer)]
    public async Task Run_VerifyRightPassword_LogsInThenWritesSecret(RegistryAuth auth)
    {
        await using var registry = await Registry(auth);
        await using var h = await RotatorHarness.StartAsync("default");

        var result = await h.RunCliAsync("run", "--config", Config(h, registry.Server, Good));

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains($"\"password\":\"{Good}\"", Dockerconfig(h));
        Assert.Contains(registry.Requests, r => r.Path == "/v2/" && r.Scheme == (auth == RegistryAuth.Basic ? "Basic" : "Bearer"));
    }

    [Fact]
    public async Task Run_VerifyWrongPasswordFirstRun_WritesNothingAndExits1()
    {
        await using var registry = await Registry();
        await using var h = await RotatorHarness.StartAsync("default");
        using var tokenRequests = CollectTokenRequests(h);

        var result = await h.RunCliAsync("run", "--config", Config(h, registry.Server, Bad));

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Null(h.Api.GetSecret("default", "regcred"));
        Assert.Contains("registry local: FAILED (verify_failed)", result.Stdout);
        var measurement = Assert.Single(tokenRequests.GetMeasurementSnapshot());
        Assert.Equal(("local", "failure"), ((string?)measurement.Tags["registry"], (string?)measurement.Tags["outcome"]));
        Assert.DoesNotContain(Bad, result.All);
    }

    [Fact]
    public async Task Run_VerifyWrongPasswordSecondRun_KeepsPreviousEntry()
    {
        await using var registry = await Registry();
        await using var h = await RotatorHarness.StartAsync("default");
        var config = Config(h, registry.Server, Good);
        Assert.Equal(0, (await h.RunCliAsync("run", "--config", config)).ExitCode);
        var before = h.Secret("default", "regcred").ResourceVersion();
        h.WriteFile("password.txt", Bad);
        h.Time.Advance(TimeSpan.FromMinutes(5));

        var result = await h.RunCliAsync("run", "--config", config);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Equal(before, h.Secret("default", "regcred").ResourceVersion());
        Assert.Contains($"\"password\":\"{Good}\"", Dockerconfig(h));
        Assert.Contains("registry local: FAILED (verify_failed)", result.Stdout);
        Assert.DoesNotContain(Bad, result.All);
    }

    [Fact]
    public async Task Run_VerifyOff_WritesWithoutAskingRegistry()
    {
        await using var registry = await Registry();
        await using var h = await RotatorHarness.StartAsync("default");

        var result = await h.RunCliAsync("run", "--config", Config(h, registry.Server, Bad, verify: false));

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains($"\"password\":\"{Bad}\"", Dockerconfig(h));
        Assert.Empty(registry.Requests);
    }

    [Fact]
    public async Task Run_VerifyRegistryUnreachable_Exits1WithVerifyUnreachable()
    {
        var port = LoopbackHost.FreePort();
        await using var h = await RotatorHarness.StartAsync("default");
        using var tokenRequests = CollectTokenRequests(h);

        var result = await h.RunCliAsync("run", "--config", Config(h, $"http://127.0.0.1:{port}", Good));

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Null(h.Api.GetSecret("default", "regcred"));
        Assert.Contains("registry local: FAILED (verify_unreachable)", result.Stdout);
        Assert.Equal("failure", (string?)Assert.Single(tokenRequests.GetMeasurementSnapshot()).Tags["outcome"]);
        Assert.DoesNotContain(Good, result.All);
    }

    [Fact]
    public async Task Run_VerifyBearer_NeverPrintsPasswordOrToken()
    {
        await using var registry = await Registry(RegistryAuth.Bearer);
        await using var h = await RotatorHarness.StartAsync("default");

        var result = await h.RunCliAsync("run", "--config", Config(h, registry.Server, Good));

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("Verified credential for", result.Logs);
        var token = Assert.Single(registry.IssuedTokens);
        Assert.DoesNotContain(token, result.All);
        Assert.DoesNotContain(Good, result.All);
    }
}
