using System.Text.Json;
using System.Text.Json.Serialization;
using SecretRotator.Configuration;
using SecretRotator.Explain;

namespace SecretRotator.Tests.Explain;

/// <summary>`explain -o json` is written by a source-generated context (no reflection, Native AOT); its text must not change.</summary>
public sealed class ExplanationWriterTests
{
    private static readonly JsonSerializerOptions Reflection = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    private static readonly DateTimeOffset Expiry = new(2026, 12, 1, 18, 0, 0, TimeSpan.Zero);

    [Fact]
    public void JsonText_EveryState_SameTextAsTheReflectionSerializerOfTheDocumentedShape()
    {
        // Arrange: every secret state, a match with and without an expiry, a miss, an unreferenced candidate, a note.
        Assert.True(ImageReference.TryParse("ghcr.io/org/app:1.0", out var image, out _));
        var entries = new List<PullSecretEntry> { new("ghcr.io", "ghcr", Expiry), new("quay.io", null, null, ExpiryKnown: false) };
        var view = new PodView("team-a", "default", "cluster", true,
            [new("regcred", PullSecretState.Ok, "kubernetes.io/dockerconfigjson", true, entries),
             new("gone", PullSecretState.Missing, null, false, [], "not found in namespace team-a"),
             new("opaque", PullSecretState.WrongType, "Opaque", false, [], "type Opaque"),
             new("broken", PullSecretState.Malformed, "kubernetes.io/dockerconfigjson", false, [], "invalid JSON at byte 3")],
            [], ["a note"]);
        var candidates = new List<Candidate> { new("regcred", "ghcr.io", "ghcr.io", "ghcr", Expiry, false), new("regcred", "ghcr.io", "ghcr.io", null, null, false, ExpiryKnown: false) };
        var explanation = new Explanation(image, view, candidates, [new Miss("regcred", "quay.io", "host_differs", "host quay.io is not ghcr.io")],
            [new Candidate("other", "ghcr.io", "ghcr.io", "ghcr", Expiry, false)], PullFails: false);

        // Act
        var text = ExplanationWriter.JsonText(explanation);

        // Assert: the same bytes the reflection serializer wrote for the anonymous shape before.
        var expected = JsonSerializer.Serialize(new
        {
            image = explanation.Image.Original,
            repository = explanation.Image.Repository,
            @namespace = view.Namespace,
            serviceAccount = view.ServiceAccount,
            source = view.Source,
            serviceAccountFound = view.ServiceAccountFound,
            pullSecrets = view.Referenced.Select(s => new { s.Name, s.State, s.Type, s.Managed, servers = s.Entries.Select(e => e.Server), s.Problem }),
            match = explanation.Match,
            candidates = explanation.Candidates,
            misses = explanation.Misses,
            unreferenced = explanation.Unreferenced,
            pullFails = explanation.PullFails,
            notes = view.Notes,
        }, Reflection) + "\n";
        Assert.Equal(expected, text);
        Assert.Contains("\"state\": \"wrong_type\"", text, StringComparison.Ordinal);
    }
}
