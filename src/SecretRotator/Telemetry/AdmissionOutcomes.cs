namespace SecretRotator.Telemetry;

/// <summary>The closed set of <c>outcome</c> labels of secret_rotator_admission_duration_seconds.</summary>
public static class AdmissionOutcomes
{
    /// <summary>Nothing to add (not selected, no matching image, already listed, not a CREATE).</summary>
    public const string Unchanged = "unchanged";
    /// <summary>Secrets referenced; every one already existed.</summary>
    public const string Patched = "patched";
    /// <summary>At least one secret was created before the answer.</summary>
    public const string Created = "created";
    public const string DryRun = "dry_run";
    /// <summary>Allowed unchanged because something failed (API error, no credential, time budget spent).</summary>
    public const string Failed = "failed";
    /// <summary>Allowed unchanged because the review could not be read.</summary>
    public const string Invalid = "invalid";

    private static readonly HashSet<string> All = new(StringComparer.Ordinal) { Unchanged, Patched, Created, DryRun, Failed, Invalid };

    internal static string Check(string outcome) => All.Contains(outcome)
        ? outcome
        : throw new ArgumentOutOfRangeException(nameof(outcome), outcome, "unknown admission outcome; use AdmissionOutcomes");
}
