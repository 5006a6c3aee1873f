using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using SecretRotator.Configuration;
using SecretRotator.Rotation;

namespace SecretRotator.Explain;

/// <summary>Prints an <see cref="Explanation"/> for people (text) or tools (json). Never a credential: only keys.</summary>
public static class ExplanationWriter
{
    public static string Text(Explanation x, DateTimeOffset now)
    {
        var view = x.View;
        var o = new List<string>
        {
            $"image:    {x.Image.Original}",
            $"looks up: {x.Image.Repository}{(x.Image.IsDockerHub ? " (Docker Hub)" : "")}",
            $"view:     service account {view.ServiceAccount} in namespace {view.Namespace} ({(view.Source == "cluster" ? "read from the cluster" : "what a run of the config would write")})",
        };
        if (!view.ServiceAccountFound)
            o.Add($"service account {view.Namespace}/{view.ServiceAccount} not found: a pod using it is not admitted");
        o.Add(view.Referenced.Count == 0 ? "pull secrets: none referenced by the service account" : "pull secrets referenced by the service account, in order:");
        var width = view.Referenced.Concat(view.Unreferenced).Select(s => s.Name.Length).DefaultIfEmpty(0).Max();
        foreach (var s in view.Referenced) o.Add($"  {s.Name.PadRight(width)}  {Describe(s)}");

        o.Add(x.PullFails
            ? $"result:   kubelet fails every pull of the pod: {string.Join("; ", view.Referenced.Where(s => s.State == PullSecretState.Malformed).Select(s => $"secret {s.Name} {s.Problem}"))}"
            : x.Match is { } m
                ? $"result:   kubelet uses secret {m.Secret}, entry \"{m.Server}\"{Origin(m, now)}"
                : $"result:   no pull secret entry matches: kubelet pulls {x.Image.Repository} without pod credentials (a node credential provider may still apply)");
        if (x.Match is { DockerHubDefault: true })
            o.Add("          (no key names docker.io; kubelet falls back to the index.docker.io key for Docker Hub images)");
        if (x.Candidates.Count > 1 && !x.PullFails)
        {
            o.Add("kubelet tries, in order, until a pull succeeds:");
            o.AddRange(x.Candidates.Select((c, i) => $"  {i + 1}. secret {c.Secret}, entry \"{c.Server}\"{Origin(c, now)}"));
        }
        if (x.Misses.Count > 0)
        {
            o.Add("entries that do not serve this image:");
            o.AddRange(x.Misses.Select(miss => $"  secret {miss.Secret}, entry \"{miss.Server}\": {miss.Message}"));
        }
        foreach (var c in x.Unreferenced)
            o.Add($"not referenced: secret {c.Secret} in namespace {view.Namespace} has entry \"{c.Server}\" for this image{Origin(c, now)}, "
                + $"but service account {view.ServiceAccount} does not list it in imagePullSecrets"
                + (view.Source == "config" ? $" (add {view.ServiceAccount} to serviceAccounts of secret {c.Secret})" : ""));
        o.AddRange(view.Notes.Select(n => $"note:     {n}"));
        return string.Join('\n', o) + "\n";
    }

    public static string JsonText(Explanation x) => JsonSerializer.Serialize(new ExplanationDocument(
        x.Image.Original,
        x.Image.Repository,
        x.View.Namespace,
        x.View.ServiceAccount,
        x.View.Source,
        x.View.ServiceAccountFound,
        [.. x.View.Referenced.Select(s => new PullSecretDocument(s.Name, s.State, s.Type, s.Managed, [.. s.Entries.Select(e => e.Server)], s.Problem))],
        x.Match,
        x.Candidates,
        x.Misses,
        x.Unreferenced,
        x.PullFails,
        x.View.Notes), ExplanationJson.Default.ExplanationDocument) + "\n";

    // The shape of `explain -o json`; camelCase names from the context's web defaults.
    internal sealed record ExplanationDocument(
        string Image, string Repository, string Namespace, string ServiceAccount, string Source, bool ServiceAccountFound,
        IReadOnlyList<PullSecretDocument> PullSecrets, Candidate? Match, IReadOnlyList<Candidate> Candidates, IReadOnlyList<Miss> Misses,
        IReadOnlyList<Candidate> Unreferenced, bool PullFails, IReadOnlyList<string> Notes);

    internal sealed record PullSecretDocument(string Name, PullSecretState State, string? Type, bool Managed, IReadOnlyList<string> Servers, string? Problem);

    private static string Describe(PullSecretView s) => s.State switch
    {
        PullSecretState.Ok => $"{s.Type}{(s.Managed ? ", managed by secret-rotator" : "")}: {s.Entries.Count} {(s.Entries.Count == 1 ? "entry" : "entries")}",
        PullSecretState.Missing => $"missing: {s.Problem}",
        _ => $"{s.Problem}",
    };

    private static string Origin(Candidate c, DateTimeOffset now)
    {
        var registry = c.Registry is null ? "" : $"registry {c.Registry}, ";
        var expiry = !c.ExpiryKnown ? "not fetched, expiry unknown"
            : c.ExpiresAt is not { } e ? (c.Registry is null ? "no recorded expiry" : "does not expire")
            : e <= now ? $"EXPIRED {SecretSources.FormatTime(e)}, {Duration.Format(now - e)} ago"
            : $"expires {SecretSources.FormatTime(e)}, in {Duration.Format(e - now)}";
        return $" ({registry}{expiry})";
    }
}

/// <summary>Source-generated, so <c>explain -o json</c> needs no reflection (Native AOT: docs/performance.md).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = true, Converters = [typeof(SnakeCaseEnumConverter<PullSecretState>)])]
[JsonSerializable(typeof(ExplanationWriter.ExplanationDocument))]
internal sealed partial class ExplanationJson : JsonSerializerContext;

/// <summary>Enum values as snake_case strings (<c>malformed</c>, <c>wrong_type</c>), as kubectl users read them.</summary>
internal sealed class SnakeCaseEnumConverter<T>() : JsonStringEnumConverter<T>(JsonNamingPolicy.SnakeCaseLower)
    where T : struct, Enum;
