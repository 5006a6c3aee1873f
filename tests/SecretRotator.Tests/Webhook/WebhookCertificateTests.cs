using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using SecretRotator.Webhook;

namespace SecretRotator.Tests.Webhook;

/// <summary>A rotated serving certificate is picked up without a restart; a half-written one never replaces a good one.</summary>
public sealed class WebhookCertificateTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("secret-rotator-webhook-cert-");
    private readonly WebhookTls _tls;
    private readonly FakeTimeProvider _time = new();
    private readonly FakeLogCollector _logs = new();

    public WebhookCertificateTests() => _tls = new WebhookTls(_dir.FullName);

    private WebhookCertificate Load() => new(_tls.CertFile, _tls.KeyFile, _time, new FakeLogger<WebhookCertificate>(_logs));

    [Fact]
    public void Current_FilesRotated_ServedAfterTheCheckInterval()
    {
        var certificate = Load();
        _tls.Issue("CN=second");

        var before = certificate.Current.Subject;
        _time.Advance(WebhookCertificate.CheckInterval);
        var after = certificate.Current.Subject;

        Assert.Equal("CN=first", before);
        Assert.Equal("CN=second", after);
        Assert.True(certificate.Current.HasPrivateKey);
    }

    [Fact]
    public void Current_FilesReplacedByGarbage_KeepsThePreviousCertificateAndWarns()
    {
        var certificate = Load();
        File.WriteAllText(_tls.KeyFile, "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n");

        _time.Advance(WebhookCertificate.CheckInterval);

        Assert.Equal("CN=first", certificate.Current.Subject);
        Assert.Contains(_logs.GetSnapshot(), r => r.Id.Id == 5804);
    }

    [Fact]
    public void Constructor_MissingKeyFile_Throws()
    {
        File.Delete(_tls.KeyFile);

        Assert.Throws<FileNotFoundException>(Load);
    }

    public void Dispose()
    {
        _tls.Dispose();
        _dir.Delete(recursive: true);
    }
}
