namespace SecretRotator.Rotation;

/// <summary>The last phase of a pass: the results in a stable order and one line per registry used.</summary>
public static class RunReportBuilder
{
    public static RunReport Build(IReadOnlyList<TargetResult> results, RunPlan plan, IReadOnlyDictionary<string, RegistryResult> fetched, bool dryRun) =>
        new(InOrder(results), Registries(plan, fetched), dryRun);

    /// <summary>By secret, then namespace. A pass over one secret already comes in that order (the plan's): then the
    /// results are only copied.</summary>
    private static List<TargetResult> InOrder(IReadOnlyList<TargetResult> results)
    {
        for (var i = 1; i < results.Count; i++)
        {
            if (Compare(results[i - 1], results[i]) > 0)
                return [.. results.OrderBy(r => r.Secret, StringComparer.Ordinal).ThenBy(r => r.Namespace, StringComparer.Ordinal)];
        }
        return [.. results];
    }

    private static int Compare(TargetResult a, TargetResult b) =>
        string.CompareOrdinal(a.Secret, b.Secret) is var bySecret and not 0 ? bySecret : string.CompareOrdinal(a.Namespace, b.Namespace);

    private static Dictionary<string, RegistryResult> Registries(RunPlan plan, IReadOnlyDictionary<string, RegistryResult> fetched)
    {
        var all = new Dictionary<string, RegistryResult>(fetched, StringComparer.Ordinal);
        foreach (var name in plan.Targets.SelectMany(t => t.Registries).Distinct(StringComparer.Ordinal).Where(n => !all.ContainsKey(n)))
        {
            // Not fetched because every copy is still fresh: report the earliest stored expiry.
            all[name] = new RegistryResult(name, Fetched: false, plan.StoredExpiry(name));
        }
        return all;
    }
}
