using SecretRotator.Configuration;

namespace SecretRotator.Rotation;

/// <summary>
/// What a pass tells the outside about itself: the rotation code decides, an observer counts and logs. Telemetry's
/// RunRecorder implements it (metrics and log lines), so Rotation never names Telemetry.
/// </summary>
public interface IRunObserver
{
    void TokenFetched(string registry, DateTimeOffset? expiresAt);

    void TokenFailed(string registry);

    /// <summary>One (secret, namespace) outcome outside a whole pass (a daemon event).</summary>
    void Target(TargetResult result);

    /// <summary>A whole pass: every target, the per-registry results and the duration.</summary>
    /// <param name="targets">The secret targets of the pass: a registry's last success moves only when none of its secrets failed.</param>
    void Pass(RunReport report, IReadOnlyList<SecretTarget> targets, DateTimeOffset now, TimeSpan duration);
}
