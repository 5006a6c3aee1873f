using System.Text.Json;
using System.Text.Json.Serialization;
using SecretRotator.Configuration;
using SecretRotator.Rotation;

namespace SecretRotator.Cli;

/// <summary>The two shapes of <c>status</c>: an aligned table for people, JSON for scripts.</summary>
internal static class StatusOutput
{
    public static async Task WriteTableAsync(TextWriter output, StatusReport report)
    {
        string[] header = ["NAMESPACE", "NAME", "REGISTRIES", "ROTATED AT", "EXPIRES IN", "STATE"];
        var rows = report.Secrets.Select(s => new[]
        {
            s.Namespace, s.Name, s.Registries.Count == 0 ? "-" : string.Join(",", s.Registries),
            s.RotatedAt is { } r ? SecretSources.FormatTime(r) : "-", ExpiresIn(s, report.Now), s.State.Label(),
        }).ToList();
        var widths = header.Select((h, i) => rows.Select(r => r[i].Length).Append(h.Length).Max()).ToArray();
        foreach (var row in rows.Prepend(header))
            await output.WriteLineAsync(string.Join("  ", row.Select((cell, i) => i == row.Length - 1 ? cell : cell.PadRight(widths[i]))));
        var counts = Enum.GetValues<SecretState>().Select(state => (state, n: report.Secrets.Count(s => s.State == state)))
            .Where(c => c.n > 0).Select(c => $"{c.n} {c.state.Label()}");
        await output.WriteLineAsync($"{report.Secrets.Count} secrets: {(report.Secrets.Count == 0 ? "none found" : string.Join(", ", counts))}");
    }

    public static async Task WriteJsonAsync(TextWriter output, StatusReport report, CancellationToken cancellationToken)
    {
        var document = new StatusDocument(
            SecretSources.FormatTime(report.Now),
            report.Secrets.Select(s => new StatusLine(s.Namespace, s.Name, s.Registries,
                s.RotatedAt is { } r ? SecretSources.FormatTime(r) : null,
                s.ExpiresAt is { } e ? SecretSources.FormatTime(e) : null,
                s.ExpiresAt is { } x ? (long)Math.Floor((x - report.Now).TotalSeconds) : null,
                s.State.Label())).ToList(),
            report.Errors);
        await output.WriteLineAsync(JsonSerializer.Serialize(document, StatusJson.Default.StatusDocument).AsMemory(), cancellationToken);
    }

    /// <summary>"2h15m", "-10m" once expired, "never" for a secret whose tokens do not expire, "-" when unknown.</summary>
    private static string ExpiresIn(SecretStatus s, DateTimeOffset now)
    {
        if (s.ExpiresAt is not { } expiry) return s.State is SecretState.Missing or SecretState.Foreign ? "-" : "never";
        var left = TimeSpan.FromSeconds(Math.Floor((expiry - now).TotalSeconds));
        return left < TimeSpan.Zero ? "-" + Duration.Format(left.Negate()) : Duration.Format(left);
    }

    internal sealed record StatusDocument(
        [property: JsonPropertyName("now")] string Now,
        [property: JsonPropertyName("secrets")] IReadOnlyList<StatusLine> Secrets,
        [property: JsonPropertyName("errors")] IReadOnlyList<string> Errors);

    internal sealed record StatusLine(
        [property: JsonPropertyName("namespace")] string Namespace,
        [property: JsonPropertyName("name")] string Name,
        [property: JsonPropertyName("registries")] IReadOnlyList<string> Registries,
        [property: JsonPropertyName("rotatedAt")] string? RotatedAt,
        [property: JsonPropertyName("expiresAt")] string? ExpiresAt,
        [property: JsonPropertyName("expiresInSeconds")] long? ExpiresInSeconds,
        [property: JsonPropertyName("state")] string State);
}

/// <summary>Source-generated, so <c>status -o json</c> needs no reflection (Native AOT: docs/performance.md).</summary>
[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(StatusOutput.StatusDocument))]
internal sealed partial class StatusJson : JsonSerializerContext;
