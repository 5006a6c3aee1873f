using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SecretRotator.Tests.Webhook;

/// <summary>
/// A test CA and a serving certificate it signs for 127.0.0.1 and localhost, written as the PEM files a Secret volume
/// holds (tls.crt, tls.key), and an HTTP client that trusts exactly that CA, as the API server trusts the caBundle.
/// </summary>
public sealed class WebhookTls : IDisposable
{
    private readonly X509Certificate2 _ca;

    public WebhookTls(string directory)
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=secret-rotator test CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: false, 0, critical: true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
        var now = DateTimeOffset.UtcNow;
        _ca = caRequest.CreateSelfSigned(now.AddDays(-1), now.AddDays(7));
        CertFile = Path.Combine(directory, "tls.crt");
        KeyFile = Path.Combine(directory, "tls.key");
        Issue("CN=first");
    }

    public string CertFile { get; }
    public string KeyFile { get; }

    /// <summary>Signs a new serving certificate and writes both files (as cert-manager renewing it would).</summary>
    public X509Certificate2 Issue(string subject)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        san.AddDnsName("localhost");
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        var now = DateTimeOffset.UtcNow;
        var serial = RandomNumberGenerator.GetBytes(16);
        using var cert = request.Create(_ca, now.AddDays(-1), now.AddDays(2), serial);
        File.WriteAllText(CertFile, cert.ExportCertificatePem());
        File.WriteAllText(KeyFile, key.ExportPkcs8PrivateKeyPem());
        return X509CertificateLoader.LoadCertificate(cert.RawData);
    }

    /// <summary>Trusts the test CA only; records the subject of the certificate each connection was served.</summary>
    public HttpClient Client(Action<string>? served = null) => new(new SocketsHttpHandler
    {
        SslOptions = new SslClientAuthenticationOptions
        {
            RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
            {
                if (certificate is null) return false;
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(_ca);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                using var leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
                served?.Invoke(leaf.Subject);
                // Name mismatch is the only policy error allowed to be judged here: the chain decides trust.
                return (errors & SslPolicyErrors.RemoteCertificateNameMismatch) == 0 && chain.Build(leaf);
            },
        },
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
    });

    public void Dispose() => _ca.Dispose();
}
