namespace SecretRotator.Rotation;

/// <summary>The last phase of a pass: the results in a stable order and one line per registry used.</summary>
public static class RunReportBuilder
{
    public static RunReport Build(IEnumerable<TargetResult> results, RunPlan plan, IReadOnlyDictionary<string, RegistryResult> fetched, bool dryRun) =>
        new(results.OrderBy(r => r.Secret, StringComparer.Ordinal).ThenBy(r => r.Namespace, StringComparer.Ordinal).ToList(),
            Registries(plan, fetched), dryRun);

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
