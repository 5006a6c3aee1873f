using SecretRotator.Rotation;

namespace SecretRotator.Cli;

/// <summary>The short end-of-run summary: one line per secret with its outcome counts, then each failure.</summary>
internal static class RunSummary
{
    private static readonly Outcome[] Columns = [Outcome.Created, Outcome.Updated, Outcome.Unchanged, Outcome.Failed, Outcome.Foreign];

    public static async Task WriteAsync(TextWriter output, RunReport report)
    {
        var verb = report.DryRun ? "would be " : "";
        if (report.DryRun)
        {
            foreach (var t in report.Targets)
                await output.WriteLineAsync($"dry-run: {t.Namespace}/{t.Secret}: {Planned(t.Outcome)}{(t.Message is null ? "" : $" ({t.Message})")}");
        }
        foreach (var group in report.Targets.GroupBy(t => t.Secret, StringComparer.Ordinal))
        {
            var counts = Columns.Select(c => $"{group.Count(t => t.Outcome == c)} {verb}{c.Label()}");
            var extra = new List<string>();
            if (group.Count(t => t.Outcome == Outcome.Pruned) is > 0 and var pruned) extra.Add($"{pruned} {verb}pruned");
            // Named, not counted, and last so the list's commas read on their own.
            var missing = group.Where(t => t.Outcome == Outcome.MissingNamespace).Select(t => t.Namespace).Order(StringComparer.Ordinal).ToList();
            if (missing.Count > 0) extra.Add($"{(missing.Count == 1 ? "missing namespace" : "missing namespaces")}: {string.Join(", ", missing)}");
            await output.WriteLineAsync($"secret {group.Key}: {string.Join(", ", counts.Concat(extra))}");
        }
        foreach (var r in report.Registries.Values.Where(r => r.Error is not null).OrderBy(r => r.Registry, StringComparer.Ordinal))
            await output.WriteLineAsync($"registry {r.Registry}: FAILED ({r.Reason}): {r.Error}");
        foreach (var t in report.Targets.Where(t => t.Outcome.IsFailure()))
            await output.WriteLineAsync($"FAILED {t.Namespace}/{t.Secret}: {t.Reason}: {t.Message}");
        await output.WriteLineAsync(report.Failed ? "result: some targets failed" : "result: ok");
    }

    private static string Planned(Outcome o) => o switch
    {
        Outcome.Created => "create",
        Outcome.Updated => "update",
        Outcome.Unchanged => "leave unchanged",
        Outcome.Pruned => "delete (prune)",
        _ => o.Label(),
    };
}
