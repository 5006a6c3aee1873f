using k8s.Models;
using Microsoft.Extensions.Time.Testing;
using SecretRotator.Configuration;
using SecretRotator.Kubernetes;
using SecretRotator.Registries;
using SecretRotator.Rotation;
using SecretRotator.Scheduling;

namespace SecretRotator.Tests.Scheduling;

/// <summary>
/// Issue 23.1: no (secret, instant) holds an expired token while a valid one is cached. Simulates a daemon's registry job on a
/// FakeTimeProvider with the production pieces: the <see cref="RefreshPlanner"/> (fetch times, jitter, resyncs), the
/// <see cref="CredentialCache"/>, the due rule of a pass (<see cref="RunPlanner.DueRegistries"/> with the daemon's
/// <see cref="DaemonPass.LookAhead"/>) and <see cref="SecretBuilder"/> (the stored annotations that rule reads).
/// </summary>
public sealed class DaemonDueRuleTests
{
    private static readonly SecretTarget Target = new("regcred", ["ecr"], new NamespaceSelection(["team-a"], null, []), [],
        new SourceLocation("config.yaml", 1, 1, "secrets[0]"));

    public static TheoryData<int> Seeds => [.. Enumerable.Range(1, 8)];

    [Theory]
    [MemberData(nameof(Seeds))]
    public void FullPass_AnyLifetimeJitterRefreshBeforeAndResync_SecretNeverHoldsAnExpiredTokenWhileAValidOneIsCached(int seed)
    {
        // Arrange: many combinations per seed; jitter and each fire's lateness (a busy scheduler, the pass's own time) are random.
        var random = new Random(seed);
        TimeSpan[] lifetimes = [TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(100), TimeSpan.FromMinutes(10), TimeSpan.FromHours(1), TimeSpan.FromHours(12)];
        TimeSpan[] refreshBefores = [TimeSpan.Zero, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(2), TimeSpan.FromHours(1)];
        TimeSpan[] resyncs = [TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(60), TimeSpan.FromMinutes(5)];
        var violations = new List<string>();

        // Act
        foreach (var lifetime in lifetimes)
            foreach (var refreshBefore in refreshBefores)
                foreach (var resync in resyncs)
                {
                    if (Simulate(lifetime, refreshBefore, resync, random) is { } violation) violations.Add(violation);
                }

        // Assert
        Assert.True(violations.Count == 0, string.Join("\n", violations));
    }

    /// <returns>The first instant at which the secret held an expired token while the cache held a valid one, or null.</returns>
    private static string? Simulate(TimeSpan lifetime, TimeSpan refreshBefore, TimeSpan resync, Random random)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 7, 0, 0, 0, TimeSpan.Zero));
        var start = time.GetUtcNow();
        var settings = new RotatorSettings { RefreshBefore = refreshBefore, StaticRefreshInterval = resync };
        var planner = new RefreshPlanner(settings.RefreshBefore, settings.StaticRefreshInterval);
        var cache = new CredentialCache(time);
        V1Secret? stored = null;
        DateTimeOffset? plannedFetch = null;
        var tokens = 0;
        var trace = new Queue<string>();
        while (time.GetUtcNow() - start < lifetime * 4 + resync * 4)
        {
            var now = time.GetUtcNow();
            // The job fire, as RegistryRefresher decides it: fetch when planned (or nothing valid is cached), else resync.
            if (plannedFetch is not { } planned || now >= planned || cache.Valid("ecr") is null)
            {
                var credential = new RegistryCredential([new DockerAuthEntry("ecr.example.com", "AWS", $"token-{++tokens}")], now + lifetime);
                cache.Store("ecr", credential);
                plannedFetch = planner.Next(now, new FetchOutcome(true, credential.ExpiresAt, 0), schedule: null, random.NextDouble());
            }
            var nextFire = planner.NextFire(now, plannedFetch.Value) + TimeSpan.FromMilliseconds(random.Next(0, 2000));

            // The full pass that follows every fire.
            var due = RunPlanner.DueRegistries(Target, stored, now, settings.RefreshBefore + DaemonPass.LookAhead(settings));
            trace.Enqueue($"+{now - start}: due {due.Contains("ecr")}, stored {stored?.GetAnnotation(SecretRotator.Kubernetes.ManagedSecret.SourcesAnnotation)}");
            if (trace.Count > 4) trace.Dequeue();
            if (due.Contains("ecr") && cache.Valid("ecr") is { } valid)
                stored = SecretBuilder.Build(Target, "team-a", new Dictionary<string, RegistryCredential> { ["ecr"] = valid }, stored, now).Secret;

            // Until the next fire nothing changes: a violation is an instant at or after the stored expiry and before both
            // the next fire and the cached token's expiry.
            var storedExpiry = SecretSources.Parse(stored!.GetAnnotation(SecretRotator.Kubernetes.ManagedSecret.SourcesAnnotation))!["ecr"].ExpiresAt!.Value;
            var cachedExpiry = cache.ExpiresAt("ecr")!.Value;
            if (storedExpiry < nextFire && storedExpiry < cachedExpiry)
                return $"lifetime {lifetime}, refreshBefore {refreshBefore}, resync {resync}: stored token expired at +{storedExpiry - start} "
                       + $"while the cached one was valid until +{cachedExpiry - start}; next look at +{nextFire - start}\n  " + string.Join("\n  ", trace);
            time.Advance(nextFire - now);
        }
        return null;
    }
}
