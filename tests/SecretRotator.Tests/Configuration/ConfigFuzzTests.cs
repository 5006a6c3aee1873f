using System.Diagnostics;
using SecretRotator.Configuration;

namespace SecretRotator.Tests.Configuration;

/// <summary>
/// Bad input never escapes as anything but a <see cref="ConfigException"/> carrying located errors,
/// and never hangs or exhausts memory. Seeded: a failure names the mutation, which is reproducible.
/// </summary>
public sealed class ConfigFuzzTests(ITestOutputHelper output)
{
    private const int Seed = 2000;
    private const int RandomMutations = 2000;

    [Fact(Timeout = 120_000)]
    public async Task Parse_MutatedConfigs_FailOnlyWithConfigErrors()
    {
        var mutations = ConfigMutations.All(Seed, RandomMutations);
        var loader = TestConfigs.Loader();
        var problems = new List<string>();
        var (rejected, accepted) = (0, 0);
        var timings = new List<(string Name, TimeSpan Time)>();
        var watch = Stopwatch.StartNew();

        await Task.Run(() =>
        {
            foreach (var mutation in mutations)
            {
                var started = watch.Elapsed;
                switch (Outcome(loader, mutation))
                {
                    case null: accepted++; break;
                    case { Length: 0 }: rejected++; break;
                    case var problem: problems.Add($"{mutation.Name}: {problem}"); break;
                }
                timings.Add((mutation.Name, watch.Elapsed - started));
            }
        }, TestContext.Current.CancellationToken);

        var slowest = timings.OrderByDescending(t => t.Time).Take(5).ToList();
        output.WriteLine($"{mutations.Count} mutations in {watch.Elapsed.TotalSeconds:F1}s: {rejected} rejected, {accepted} accepted");
        output.WriteLine("slowest: " + string.Join(", ", slowest.Select(t => $"{t.Name} {t.Time.TotalMilliseconds:F0}ms")));
        Assert.True(problems.Count == 0, string.Join("\n", problems.Take(20)));
        Assert.True(mutations.Count >= RandomMutations + 1000, $"only {mutations.Count} mutations");
        Assert.True(rejected > mutations.Count / 2, $"only {rejected} of {mutations.Count} rejected: the mutations are too weak");
        // A hang guard, not a benchmark: the unguarded alias-bomb key took 40 s; 1 MB and 100k-item inputs take 1-3 s on a
        // quiet box and reached 16 s on a 2-core machine at load average 40, so the bound sits between the two.
        Assert.True(slowest[0].Time < TimeSpan.FromSeconds(30), $"{slowest[0].Name} took {slowest[0].Time}");
    }

    [Fact(Timeout = 120_000)]
    public async Task Parse_MutatedConfigsOfEveryRegistryType_FailOnlyWithConfigErrors()
    {
        var loader = TestConfigs.ApplicationLoader();
        Assert.Equal(["acr", "ecr", "ecr-public", "gcr", "static"],
            loader.Parse(TestConfigs.ValidAllTypes, TestConfigs.FileName).Registries.Select(r => r.Type).Order(StringComparer.Ordinal));
        var valid = TestConfigs.ValidAllTypes;
        var mutations = ConfigMutations.Truncations(valid).Select(m => m with { MustFail = false })
            .Concat(ConfigMutations.StructuralMutations(valid))
            .Concat(ConfigMutations.Random(valid, new Random(Seed), 1000))
            .ToList();
        var problems = new List<string>();
        var rejected = 0;

        await Task.Run(() =>
        {
            foreach (var mutation in mutations)
            {
                switch (Outcome(loader, mutation))
                {
                    case null: break;
                    case { Length: 0 }: rejected++; break;
                    case var problem: problems.Add($"{mutation.Name}: {problem}"); break;
                }
            }
        }, TestContext.Current.CancellationToken);

        output.WriteLine($"{mutations.Count} mutations of the all-types config: {rejected} rejected");
        Assert.True(problems.Count == 0, string.Join("\n", problems.Take(20)));
        Assert.True(rejected > mutations.Count / 2, $"only {rejected} of {mutations.Count} rejected");
    }

    [Fact]
    public void Mutations_SameSeed_AreIdentical()
    {
        var first = ConfigMutations.All(Seed, 200).Select(m => m.Text);
        var second = ConfigMutations.All(Seed, 200).Select(m => m.Text);

        Assert.Equal(first, second);
        // Nothing machine-specific in the base configs, so a failing mutation reproduces anywhere.
        Assert.DoesNotContain(TestConfigs.ConfigDirectory, TestConfigs.Valid + TestConfigs.ValidAllTypes, StringComparison.Ordinal);
    }

    /// <summary>null: parsed; "": rejected properly; otherwise what went wrong.</summary>
    private static string? Outcome(ConfigLoader loader, Mutation mutation)
    {
        try
        {
            loader.Parse(mutation.Text, TestConfigs.FileName);
            return mutation.MustFail ? "was accepted" : null;
        }
        catch (ConfigException ex)
        {
            if (ex.Errors.Count == 0) return "ConfigException without errors";
            var bad = ex.Errors.FirstOrDefault(e => e.File != TestConfigs.FileName || e.Line < 0 || e.Column < 0 || string.IsNullOrWhiteSpace(e.Message));
            return bad is null ? "" : $"malformed error '{bad}'";
        }
        catch (Exception ex)
        {
            return $"{ex.GetType().Name}: {ex.Message}";
        }
    }
}
