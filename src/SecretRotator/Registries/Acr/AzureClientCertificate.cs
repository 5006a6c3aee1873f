using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SecretRotator.Registries.Acr;

/// <summary>
/// Loads a service principal's certificate the way Azure.Identity's EnvironmentCredential accepts it: a PEM file
/// holding the certificate and its private key, or a PKCS#12 (PFX) file, either optionally with a password. Loaded
/// here rather than by path inside Azure.Identity so that a missing or unreadable file fails the registry with a
/// reason before any sign-in is attempted.
/// </summary>
internal static class AzureClientCertificate
{
    public static X509Certificate2 Load(string path, string? password)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RegistryException("auth_unavailable", $"AZURE_CLIENT_CERTIFICATE_PATH '{path}' cannot be read: {e.Message}");
        }

        try
        {
            X509Certificate2 certificate;
            if (IsPem(bytes))
            {
                // One file holds both blocks: each reader finds its own (CERTIFICATE, then the key).
                var text = System.Text.Encoding.ASCII.GetString(bytes);
                certificate = password is null ? X509Certificate2.CreateFromPem(text, text) : X509Certificate2.CreateFromEncryptedPem(text, text, password);
            }
            else
            {
                certificate = X509CertificateLoader.LoadPkcs12(bytes, password);
            }
            if (!certificate.HasPrivateKey)
                throw new RegistryException("auth_unavailable", $"AZURE_CLIENT_CERTIFICATE_PATH '{path}' holds no private key: the certificate must be signed for with its key");
            return certificate;
        }
        catch (CryptographicException e)
        {
            throw new RegistryException("auth_unavailable", $"AZURE_CLIENT_CERTIFICATE_PATH '{path}' is not a PEM certificate with its key or a PFX file (or the password is wrong): {e.Message}");
        }
    }

    private static bool IsPem(byte[] bytes) => bytes.AsSpan().IndexOf("-----BEGIN "u8) >= 0;
}
