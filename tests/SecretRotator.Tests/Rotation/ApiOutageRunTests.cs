using System.Text;
using SecretRotator.Kubernetes;
using SecretRotator.Tests.Fakes.Kubernetes;
using SecretRotator.Tests.TestSupport;

namespace SecretRotator.Tests.Rotation;

/// <summary>
/// A bad minute of the API server (a control-plane upgrade) is ridden out by the product's default retries: the CLI
/// runs against the fake with the real retry handler on a clock where backoff waits pass at once.
/// </summary>
public sealed class ApiOutageRunTests
{
    private static readonly string[] Namespaces = ["team-a", "team-b", "team-c"];

    [Fact]
    public async Task Run_NineFailuresInARowOnOneRequest_ExitsZeroWithEverySecretCorrect()
    {
        // Arrange
        await using var h = await RotatorHarness.StartAsync(Namespaces);
        h.UseProductRetriesOnSkippingClock();
        var config = WriteConfig(h);
        static bool NamespaceList(KubeRequestInfo r) => r.Verb == "list" && r.Resource == "namespaces";
        h.Api.FailNext(KubeFault.Throttle(1), times: 3, when: NamespaceList);
        h.Api.FailNext(KubeFault.InternalError(), times: 3, when: NamespaceList);
        h.Api.FailNext(KubeFault.Drop(), times: 3, when: NamespaceList);

        // Act
        var result = await h.RunCliAsync("run", "--config", config);

        // Assert
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(9, h.Api.InjectedFaults.Failures);
        AssertEverySecretCorrect(h);
        var retries = RetryLines(result);
        Assert.Equal(9, retries.Count);
        Assert.Equal(3, retries.Count(l => l.Contains("HTTP 429 (Retry-After 1 s)", StringComparison.Ordinal)));
        Assert.Equal(3, retries.Count(l => l.Contains("HTTP 500", StringComparison.Ordinal)));
        Assert.True(3 == retries.Count(l => l.Contains("failed: connection reset;", StringComparison.Ordinal)), string.Join('\n', retries));
    }

    [Fact]
    public async Task Run_AMinuteOf503s_ExitsZeroWithEverySecretCorrect()
    {
        // Arrange
        await using var h = await RotatorHarness.StartAsync(Namespaces);
        h.UseProductRetriesOnSkippingClock();
        var config = WriteConfig(h);
        var recovery = h.Time.GetUtcNow().AddMinutes(1);
        h.Api.FaultHook = _ => h.Time.GetUtcNow() < recovery ? KubeFault.Unavailable() : null;

        // Act
        var result = await h.RunCliAsync("run", "--config", config);

        // Assert
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.True(h.Time.GetUtcNow() >= recovery, "the outage was not over when the run ended");
        Assert.True(h.Api.InjectedFaults.ServiceUnavailable >= 5, h.Api.InjectedFaults.ToString());
        AssertEverySecretCorrect(h);
        Assert.All(RetryLines(result), l => Assert.Contains("HTTP 503", l, StringComparison.Ordinal));
    }

    private static string WriteConfig(RotatorHarness h)
    {
        h.WriteFile("password.txt", "s3cret");
        return h.WriteConfig("""
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
            """);
    }

    private static List<string> RetryLines(CliResult result) =>
        result.Logs.Split('\n').Where(l => l.StartsWith("Kubernetes API ", StringComparison.Ordinal) && l.Contains("retry budget", StringComparison.Ordinal)).ToList();

    private static void AssertEverySecretCorrect(RotatorHarness h)
    {
        var expected = Encoding.UTF8.GetString(DockerConfigJson.Build([new("registry.example.com", "bot", "s3cret")]));
        Assert.All(Namespaces, ns => Assert.Equal(expected, Encoding.UTF8.GetString(h.Secret(ns, "regcred").Data[ManagedSecret.DataKey])));
    }
}
