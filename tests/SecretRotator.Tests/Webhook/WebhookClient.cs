using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace SecretRotator.Tests.Webhook;

/// <summary>Posts AdmissionReviews to a running daemon's webhook as the API server does, and reads the answer.</summary>
public static partial class WebhookClient
{
    [GeneratedRegex(@"https://[^\s,]*:(\d+)")]
    private static partial Regex Https();

    /// <summary>The webhook's bound port, from the daemon's "Serving ..." log line; null until it is logged.</summary>
    public static Uri? Address(string logs) => Https().Match(logs) is { Success: true } m ? new Uri($"https://127.0.0.1:{m.Groups[1].Value}/") : null;

    public static async Task<Answer> PostAsync(HttpClient http, Uri webhook, string path, string review, CancellationToken cancellationToken)
    {
        using var content = new StringContent(review, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await http.PostAsync(new Uri(webhook, path), content, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        return new Answer((int)response.StatusCode, body);
    }

    public sealed record Answer(int Status, string Body)
    {
        private JsonNode? Response => JsonNode.Parse(Body)?["response"];
        public string? Uid => (string?)Response?["uid"];
        public bool Allowed => (bool?)Response?["allowed"] == true;
        public string? PatchType => (string?)Response?["patchType"];
        public string Patch => Response?["patch"] is { } p ? Encoding.UTF8.GetString(Convert.FromBase64String((string)p!)) : "";
    }
}
