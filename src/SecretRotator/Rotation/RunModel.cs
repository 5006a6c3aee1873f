namespace SecretRotator.Rotation;

/// <summary>What the user asked of one pass.</summary>
public sealed record RunOptions
{
    /// <summary>Only this secret target (--secret).</summary>
    public string? Secret { get; init; }
    /// <summary>Only these namespaces (--namespace, repeatable).</summary>
    public IReadOnlyList<string> Namespaces { get; init; } = [];
    public bool DryRun { get; init; }
    /// <summary>Fetch and write even when the stored token is still fresh.</summary>
    public bool Force { get; init; }
    /// <summary>
    /// How long until the next pass looks at these secrets (the daemon's resync interval; zero for `run`, whose schedule
    /// the tool does not know, so refreshBefore must cover it). A stored token that expires within refreshBefore plus
    /// this is due now: the fresh token reaches every secret in the pass that fetched it.
    /// </summary>
    public TimeSpan LookAhead { get; init; }

    /// <summary>The window in which a stored token counts as due.</summary>
    public TimeSpan DueWithin(Configuration.RotatorSettings settings) => settings.RefreshBefore + LookAhead;
}

/// <summary>Outcome of one (secret, namespace) target. The first five are the metric's outcome label values.</summary>
public enum Outcome
{
    Created,
    Updated,
    Unchanged,
    Failed,
    Foreign,
    /// <summary>An explicitly listed namespace that does not exist: reported, not a failure.</summary>
    MissingNamespace,
    /// <summary>A managed secret no longer selected by the config, deleted by prune.</summary>
    Pruned,
}

public static class OutcomeNames
{
    public static string Label(this Outcome outcome) => outcome switch
    {
        Outcome.Created => "created",
        Outcome.Updated => "updated",
        Outcome.Unchanged => "unchanged",
        Outcome.Failed => "failed",
        Outcome.Foreign => "foreign",
        Outcome.MissingNamespace => "missing_namespace",
        Outcome.Pruned => "pruned",
        _ => throw new ArgumentOutOfRangeException(nameof(outcome)),
    };

    public static bool IsFailure(this Outcome outcome) => outcome is Outcome.Failed or Outcome.Foreign;
}

/// <summary>One line of the run report. <see cref="Reason"/> is a short metric-safe word; <see cref="Message"/> never holds a credential.</summary>
public sealed record TargetResult(string Secret, string Namespace, Outcome Outcome, string? Reason = null, string? Message = null);

/// <summary>What a run did, for the summary, the metrics and the exit code.</summary>
public sealed record RunReport(IReadOnlyList<TargetResult> Targets, IReadOnlyDictionary<string, RegistryResult> Registries, bool DryRun)
{
    public bool Failed => Targets.Any(t => t.Outcome.IsFailure()) || Registries.Values.Any(r => r.Error is not null);

    public int ExitCode => Failed ? 1 : 0;
}

/// <summary>Per registry: fetched, carried over because still fresh, or failed.</summary>
public sealed record RegistryResult(string Registry, bool Fetched, DateTimeOffset? ExpiresAt, string? Error = null, string? Reason = null);
