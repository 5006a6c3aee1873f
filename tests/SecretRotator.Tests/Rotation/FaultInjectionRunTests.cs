using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using SecretRotator.Kubernetes;
using SecretRotator.Tests.Fakes.Kubernetes;
using SecretRotator.Tests.TestSupport;

namespace SecretRotator.Tests.Rotation;

/// <summary>
/// Seeded random faults (429, 500, 503, dropped connections before and after commit, latency) on every request of a
/// whole run over hundreds of namespaces, plus a seeded set of namespaces whose writes always fail. Retries absorb
/// the random faults; exactly the always-failing targets are reported; the cluster ends in the desired state.
/// </summary>
public sealed class FaultInjectionRunTests
{
    private const int Namespaces = 300;

    [Theory]
    [InlineData(1)]
    [InlineData(42)]
    [InlineData(2026)]
    public async Task Run_RandomFaultsOverHundredsOfNamespaces_ReportsExactlyTheUnabsorbedFailures(int seed)
    {
        // Arrange
        var names = Enumerable.Range(0, Namespaces).Select(i => $"team-{i:D3}").ToArray();
        await using var h = await RotatorHarness.StartAsync(names);
        // 15 tries at a 35% fault rate: random faults defeat a call with probability 0.35^15 (about 1.5e-7), so over
        // ~1,500 calls the only failures left are the doomed ones below.
        h.Handlers = () => [KubernetesResilience.CreateHandler(FakeKubeClients.FastRetries with { MaxAttempts = 15 }, TimeProvider.System, NullLogger.Instance)];
        var random = new Random(seed);
        var doomed = names.OrderBy(_ => random.Next()).Take(7).ToHashSet(StringComparer.Ordinal);
        h.WriteFile("password.txt", $"password-{seed}");
        var config = h.WriteConfig("""
            registries:
              - name: hub
                type: static
                server: registry.example.com
                username: bot
                password: {file: password.txt}
            secrets:
              - name: regcred
                registries: [hub]
                namespaces: {names: ["team-*"]}
                serviceAccounts: [default]
            settings: {concurrency: 16}
            """);
        var plan = new FaultPlan(seed)
        {
            TooManyRequests = 0.1, InternalError = 0.1, ServiceUnavailable = 0.05, DropConnection = 0.05, DropResponse = 0.05,
            Latency = 0.1, LatencyDelay = TimeSpan.FromMilliseconds(2),
        };
        h.Api.UseFaultPlan(plan);
        // Writes in the doomed namespaces fail on every try: these are the failures retries cannot absorb.
        h.Api.FaultHook = r => r.Verb == "create" && r.Resource == "secrets" && doomed.Contains(r.Namespace ?? "") ? KubeFault.InternalError() : null;

        // Act
        var result = await h.RunCliAsync("run", "--config", config);

        // Assert
        Assert.True(h.Api.InjectedFaults.Failures > 100, h.Api.InjectedFaults.ToString());
        Assert.Equal(1, result.ExitCode);
        var failed = result.Stdout.Split('\n').Where(l => l.StartsWith("FAILED ", StringComparison.Ordinal)).ToList();
        Assert.Equal(doomed.Order(StringComparer.Ordinal).Select(ns => $"FAILED {ns}/regcred: server_error"),
            failed.Select(l => string.Join(':', l.Split(':').Take(2))));
        Assert.Contains($"secret regcred: {Namespaces - doomed.Count} created, 0 updated, 0 unchanged, {doomed.Count} failed, 0 foreign", result.Stdout);
        AssertDesiredState(h, names.Where(n => !doomed.Contains(n)), seed);
        Assert.All(doomed, ns => Assert.Null(h.Api.GetSecret(ns, "regcred")));

        // Once the API server recovers, the next run completes the rest and touches nothing else.
        h.Api.UseFaultPlan(null);
        h.Api.FaultHook = null;
        h.Api.ClearJournal();
        var second = await h.RunCliAsync("run", "--config", config);

        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.Contains($"secret regcred: {doomed.Count} created, 0 updated, {Namespaces - doomed.Count} unchanged, 0 failed", second.Stdout);
        Assert.Equal(doomed.Count * 2, h.Api.Writes.Count); // one create and one service-account update each
        AssertDesiredState(h, names, seed);
    }

    private static void AssertDesiredState(RotatorHarness h, IEnumerable<string> namespaces, int seed)
    {
        var expected = Encoding.UTF8.GetString(DockerConfigJson.Build([new("registry.example.com", "bot", $"password-{seed}")]));
        foreach (var ns in namespaces)
        {
            var secret = h.Secret(ns, "regcred");
            Assert.Equal(expected, Encoding.UTF8.GetString(secret.Data[ManagedSecret.DataKey]));
            var pullSecrets = h.Api.GetServiceAccount(ns, "default")!.ImagePullSecrets.Select(r => r.Name).ToList();
            Assert.Equal(["regcred"], pullSecrets); // exactly once, even when a dropped response made us retry
        }
        Assert.Equal(namespaces.Count(), h.Api.ListSecrets().Count(s => s.Metadata.Name == "regcred"));
    }
}
