using System.Globalization;
using System.Text.Json;
using SecretRotator.Configuration;
using SecretRotator.Kubernetes;
using SecretRotator.Kubernetes.Keyring;

namespace SecretRotator.CredentialProvider;

/// <summary>A request or source that cannot be served: one line for kubelet's log, never a credential.</summary>
public sealed class CredentialProviderException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Reads and checks the one CredentialProviderRequest kubelet writes on stdin.</summary>
public static class RequestReader
{
    /// <summary>kubelet's request is a few KiB even with a token; the cap keeps a wrong pipe from filling memory.</summary>
    public const int MaxChars = 256 * 1024;

    public static (CredentialProviderRequest Request, ImageReference Image) Parse(string text)
    {
        if (string.IsNullOrWhiteSpace(text))
            throw new CredentialProviderException($"stdin is empty: expected a {CredentialProviderApi.RequestKind} ({CredentialProviderApi.ApiVersion}) as JSON");
        if (text.Length > MaxChars)
            throw new CredentialProviderException($"stdin is larger than {MaxChars} characters: not a {CredentialProviderApi.RequestKind}");

        CredentialProviderRequest? request;
        try
        {
            request = JsonSerializer.Deserialize(text, CredentialProviderJson.Default.CredentialProviderRequest);
        }
        catch (JsonException e)
        {
            // The parser's message may quote the input (the token); the position is enough to find the fault.
            var at = e.LineNumber is { } line ? string.Create(CultureInfo.InvariantCulture, $" at line {line + 1}, byte {e.BytePositionInLine + 1}") : "";
            throw new CredentialProviderException($"stdin is not valid JSON{at}: expected a {CredentialProviderApi.RequestKind}", e);
        }
        if (request is null)
            throw new CredentialProviderException($"stdin holds JSON null: expected a {CredentialProviderApi.RequestKind}");
        if (request.ApiVersion != CredentialProviderApi.ApiVersion)
            throw new CredentialProviderException($"apiVersion '{request.ApiVersion}' is not supported: set apiVersion: {CredentialProviderApi.ApiVersion} for this provider in kubelet's CredentialProviderConfig");
        if (request.Kind != CredentialProviderApi.RequestKind)
            throw new CredentialProviderException($"kind '{request.Kind}' is not {CredentialProviderApi.RequestKind}");
        if (string.IsNullOrEmpty(request.Image))
            throw new CredentialProviderException("the request has no image");
        if (!ImageReference.TryParse(request.Image, out var image, out var problem))
            throw new CredentialProviderException($"image '{request.Image}' {problem}");
        return (request, image);
    }
}
