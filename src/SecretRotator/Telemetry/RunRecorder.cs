using Microsoft.Extensions.Logging;
using SecretRotator.Configuration;
using SecretRotator.Rotation;

namespace SecretRotator.Telemetry;

/// <summary>
/// Turns what a pass (or a single reconcile) did into metrics and log lines, so the rotation code decides and
/// this class counts (Rotation knows it as <see cref="IRunObserver"/>). <see cref="RotatorMetrics"/> still owns the meter and instruments.
/// </summary>
public sealed partial class RunRecorder(RotatorMetrics metrics, ILogger<RunRecorder> logger) : IRunObserver
{
    public void TokenFetched(string registry, DateTimeOffset? expiresAt)
    {
        metrics.TokenRequest(registry, TokenOutcomes.Success);
        if (expiresAt is { } expiry) metrics.TokenExpiry(registry, expiry);
    }

    public void TokenFailed(string registry) => metrics.TokenRequest(registry, TokenOutcomes.Failure);

    /// <summary>One (secret, namespace) outcome: the write counter, the failure counter and its log line.</summary>
    public void Target(TargetResult result)
    {
        if (result.Outcome is not (Outcome.MissingNamespace or Outcome.Pruned)) metrics.SecretWrite(result.Secret, result.Outcome.Label());
        Failure(result);
    }

    /// <summary>The failure counter and log line of one target: a failure, or a missing namespace (logged only).</summary>
    private void Failure(TargetResult r)
    {
        if (r.Outcome.IsFailure()) metrics.SecretFailure(r.Secret, r.Namespace, r.Reason ?? r.Outcome.Label());
        if (r.Outcome.IsFailure()) LogTargetFailed(logger, r.Secret, r.Namespace, r.Reason ?? "", r.Message ?? "");
        else if (r.Outcome == Outcome.MissingNamespace) LogMissingNamespace(logger, r.Secret, r.Namespace);
    }

    /// <summary>A whole pass: every target, the per-registry gauges (not for a dry run) and the duration.</summary>
    /// <param name="targets">The secret targets of the pass: a registry's last-success time moves only when none of its secrets failed.</param>
    public void Pass(RunReport report, IReadOnlyList<SecretTarget> targets, DateTimeOffset now, TimeSpan duration)
    {
        // One counter update per (secret, outcome), not per target: a pass over 10,000 namespaces is 10,000 "unchanged".
        var writes = new Dictionary<(string Secret, Outcome Outcome), long>();
        foreach (var r in report.Targets)
        {
            if (r.Outcome is not (Outcome.MissingNamespace or Outcome.Pruned)) writes[(r.Secret, r.Outcome)] = writes.GetValueOrDefault((r.Secret, r.Outcome)) + 1;
            Failure(r);
        }
        foreach (var ((secret, outcome), count) in writes) metrics.SecretWrite(secret, outcome.Label(), count);
        if (!report.DryRun)
        {
            // Secrets with a failed target, once: not a scan of every target per registry.
            var failedSecrets = report.Targets.Where(t => t.Outcome.IsFailure()).Select(t => t.Secret).ToHashSet(StringComparer.Ordinal);
            foreach (var (name, result) in report.Registries)
            {
                if (!result.Fetched && result.ExpiresAt is { } stored) metrics.TokenExpiry(name, stored);
                var failedTargets = targets.Any(s => failedSecrets.Contains(s.Name) && s.Registries.Contains(name));
                // A registry that failed, or whose secrets failed, keeps its previous last-success time.
                if (result.Error is null && !failedTargets) metrics.LastSuccess(name, now);
            }
        }
        metrics.RunDuration(duration);
    }

    [LoggerMessage(EventId = 1001, Level = LogLevel.Error, Message = "Secret {Secret} in namespace {Namespace} failed ({Reason}): {Message}")]
    private static partial void LogTargetFailed(ILogger logger, string secret, string @namespace, string reason, string message);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Warning, Message = "Secret {Secret}: namespace {Namespace} does not exist; skipped")]
    private static partial void LogMissingNamespace(ILogger logger, string secret, string @namespace);
}
