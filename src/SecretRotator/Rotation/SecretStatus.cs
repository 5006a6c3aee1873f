using System.Globalization;
using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using SecretRotator.Configuration;
using SecretRotator.Kubernetes;

namespace SecretRotator.Rotation;

/// <summary>How one secret stands, as <c>status</c> reports it.</summary>
public enum SecretState
{
    Ok,
    /// <summary>Its earliest token expires within settings.refreshBefore: the next pass refreshes it.</summary>
    Expiring,
    Expired,
    /// <summary>Expected by the config, not in the cluster.</summary>
    Missing,
    /// <summary>Expected by the config, but a secret of that name exists without our label.</summary>
    Foreign,
    /// <summary>Ours (managed, this settings.instance) but no longer selected by the config.</summary>
    Orphaned,
}

/// <summary>One line of <c>status</c>. <see cref="RotatedAt"/> and <see cref="ExpiresAt"/> come from the secret's annotations.</summary>
public sealed record SecretStatus(
    string Namespace,
    string Name,
    IReadOnlyList<string> Registries,
    DateTimeOffset? RotatedAt,
    DateTimeOffset? ExpiresAt,
    SecretState State)
{
    /// <summary>Expected by the config and not usable: what makes <c>status</c> exit 1.</summary>
    public bool IsProblem => State is SecretState.Missing or SecretState.Expired;
}

/// <summary>What <c>status</c> found: one line per secret, soonest expiry first, and anything it could not read.</summary>
public sealed record StatusReport(DateTimeOffset Now, IReadOnlyList<SecretStatus> Secrets, IReadOnlyList<string> Errors);

/// <summary>
/// Reads how every expected and every managed secret stands, with the same planner (and so the same namespace
/// selection and listing) as <c>run</c>. Read-only: LISTs, and one GET per expected secret not listed (to tell
/// missing from foreign); never writes, never fetches a token.
/// </summary>
public sealed class SecretStatusReader(IKubernetesClientProvider kubernetes, RunPlanner planner)
{
    public async Task<StatusReport> ReadAsync(RotatorConfig config, CancellationToken cancellationToken)
    {
        var plan = await planner.PlanAsync(config, new RunOptions(), findOrphans: true, cancellationToken);
        cancellationToken.ThrowIfCancellationRequested();
        var errors = plan.Unresolved.Select(r => $"secret {r.Secret}: {r.Message}").ToList();
        var lines = new List<SecretStatus>();
        var unlisted = new List<PlannedSecret>();
        foreach (var item in plan.Items)
        {
            if (plan.Existing(item) is { } secret) lines.Add(Managed(item.Namespace, item.Target.Name, secret, plan, orphaned: false));
            else unlisted.Add(item);
        }
        var gate = new Lock();
        await Parallel.ForEachAsync(unlisted, new ParallelOptions { MaxDegreeOfParallelism = config.Settings.Concurrency, CancellationToken = cancellationToken },
            async (item, ct) =>
            {
                var (line, error) = await ReadUnlistedAsync(item, plan, ct);
                lock (gate)
                {
                    if (line is not null) lines.Add(line);
                    if (error is not null) errors.Add(error);
                }
            });
        lines.AddRange(plan.Orphans().Select(o => Managed(o.Key.Namespace, o.Key.Name, o.Value, plan, orphaned: true)));
        var ordered = lines
            .OrderBy(l => l.ExpiresAt ?? DateTimeOffset.MaxValue)
            .ThenBy(l => l.Namespace, StringComparer.Ordinal).ThenBy(l => l.Name, StringComparer.Ordinal)
            .ToList();
        return new StatusReport(plan.Now, ordered, errors);
    }

    /// <summary>Not in the managed listing: absent (missing), or present without our label (foreign).</summary>
    private async Task<(SecretStatus?, string?)> ReadUnlistedAsync(PlannedSecret item, RunPlan plan, CancellationToken cancellationToken)
    {
        try
        {
            var secret = await kubernetes.Client.CoreV1.ReadNamespacedSecretAsync(item.Target.Name, item.Namespace, cancellationToken: cancellationToken);
            // Listed lists can miss a secret (a per-namespace LIST that failed): judge by the label, as run does.
            return secret.GetLabel(ManagedSecret.ManagedByLabel) == ManagedSecret.ManagedByValue
                ? (Managed(item.Namespace, item.Target.Name, secret, plan, orphaned: false), null)
                : (new SecretStatus(item.Namespace, item.Target.Name, item.Target.Registries, null, null, SecretState.Foreign), null);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return (new SecretStatus(item.Namespace, item.Target.Name, item.Target.Registries, null, null, SecretState.Missing), null);
        }
        catch (Exception e) when (e is HttpOperationException or HttpRequestException or IOException
                                      || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            var (_, message) = KubernetesErrors.Describe(e, "get", "secrets", item.Namespace);
            return (null, $"secret {item.Namespace}/{item.Target.Name}: {message}");
        }
    }

    private static SecretStatus Managed(string ns, string name, V1Secret secret, RunPlan plan, bool orphaned)
    {
        var registries = (secret.GetAnnotation(ManagedSecret.RegistriesAnnotation) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var expiresAt = Time(secret.GetAnnotation(ManagedSecret.ExpiresAtAnnotation))
            ?? SecretSources.Parse(secret.GetAnnotation(ManagedSecret.SourcesAnnotation))?.Values.Select(s => s.ExpiresAt).Where(e => e.HasValue).Min();
        var state = orphaned ? SecretState.Orphaned
            : expiresAt is not { } expiry ? SecretState.Ok
            : expiry <= plan.Now ? SecretState.Expired
            : expiry - plan.Now <= plan.Config.Settings.RefreshBefore ? SecretState.Expiring
            : SecretState.Ok;
        return new SecretStatus(ns, name, registries, Time(secret.GetAnnotation(ManagedSecret.RotatedAtAnnotation)), expiresAt, state);
    }

    private static DateTimeOffset? Time(string? text) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t) ? t : null;
}

public static class SecretStateNames
{
    public static string Label(this SecretState state) => state switch
    {
        SecretState.Ok => "ok",
        SecretState.Expiring => "expiring",
        SecretState.Expired => "expired",
        SecretState.Missing => "missing",
        SecretState.Foreign => "foreign",
        SecretState.Orphaned => "orphaned",
        _ => throw new ArgumentOutOfRangeException(nameof(state)),
    };
}
