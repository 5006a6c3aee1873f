using System.Text.Json;

namespace SecretRotator.CredentialProvider.TokenMode;

/// <summary>The token exchanges' one HTTP call each: transport failures become one readable line.</summary>
internal static class TokenModeHttp
{
    /// <summary>Named client without request logging: the bodies carry the pod's token.</summary>
    public const string ClientName = "credential-provider-exchange";

    public static async Task<HttpResponseMessage> PostAsync(IHttpClientFactory httpClients, Uri url, HttpContent content, string what, CancellationToken cancellationToken, string? bearer = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = content };
        if (bearer is not null) request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", bearer);
        try
        {
            return await httpClients.CreateClient(ClientName).SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new CredentialProviderException($"cannot reach {what} at {url.GetLeftPart(UriPartial.Authority)}: {e.Message}", e);
        }
        catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new CredentialProviderException($"{what} at {url.GetLeftPart(UriPartial.Authority)} did not answer in time", e);
        }
    }

    /// <summary>A string member of a JSON object answer, or null (no body, not an object, absent).</summary>
    public static string? Text(JsonDocument? doc, string name) =>
        doc?.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
