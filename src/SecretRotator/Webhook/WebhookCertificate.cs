using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;

namespace SecretRotator.Webhook;

/// <summary>
/// The serving certificate, re-read from its PEM files when they change, so a certificate rotated by cert-manager (or a
/// chart upgrade) is served without a restart. Kestrel asks for it on every TLS handshake; the files are compared at most
/// once per <see cref="CheckInterval"/>. A Secret volume swaps both files at once (an atomic symlink change); a pair that
/// does not load (caught mid-write, or a key that does not match) keeps the previous certificate and is tried again.
/// </summary>
public sealed partial class WebhookCertificate
{
    public static readonly TimeSpan CheckInterval = TimeSpan.FromSeconds(10);

    private readonly string _certFile;
    private readonly string _keyFile;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private X509Certificate2 _current;
    private byte[] _certBytes;
    private byte[] _keyBytes;
    private long _checkedAt;

    /// <exception cref="CryptographicException">The files do not hold a certificate and its private key.</exception>
    /// <exception cref="IOException">A file cannot be read.</exception>
    public WebhookCertificate(string certFile, string keyFile, TimeProvider time, ILogger<WebhookCertificate> logger)
    {
        (_certFile, _keyFile, _time, _logger) = (certFile, keyFile, time, logger);
        (_certBytes, _keyBytes) = (File.ReadAllBytes(certFile), File.ReadAllBytes(keyFile));
        _current = Load(_certBytes, _keyBytes);
        _checkedAt = time.GetTimestamp();
    }

    public X509Certificate2 Current
    {
        get
        {
            if (_time.GetElapsedTime(Volatile.Read(ref _checkedAt)) < CheckInterval) return Volatile.Read(ref _current);
            lock (_gate)
            {
                if (_time.GetElapsedTime(_checkedAt) >= CheckInterval) Reload();
                return _current;
            }
        }
    }

    private void Reload()
    {
        Volatile.Write(ref _checkedAt, _time.GetTimestamp());
        try
        {
            var (cert, key) = (File.ReadAllBytes(_certFile), File.ReadAllBytes(_keyFile));
            if (cert.AsSpan().SequenceEqual(_certBytes) && key.AsSpan().SequenceEqual(_keyBytes)) return;
            var next = Load(cert, key);
            (_certBytes, _keyBytes) = (cert, key);
            // The previous certificate may still be in a handshake: it is left to the finalizer, not disposed here.
            Volatile.Write(ref _current, next);
            LogReloaded(_logger, _certFile, next.NotAfter.ToUniversalTime());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
        {
            LogReloadFailed(_logger, _certFile, e.Message);
        }
    }

    private static X509Certificate2 Load(byte[] cert, byte[] key) =>
        X509Certificate2.CreateFromPem(System.Text.Encoding.ASCII.GetString(cert), System.Text.Encoding.ASCII.GetString(key));

    [LoggerMessage(EventId = 5803, Level = LogLevel.Information, Message = "Webhook certificate {File} reloaded; valid until {NotAfter:o}")]
    private static partial void LogReloaded(ILogger logger, string file, DateTime notAfter);

    [LoggerMessage(EventId = 5804, Level = LogLevel.Warning, Message = "Webhook certificate {File} changed but does not load, still serving the previous one: {Error}")]
    private static partial void LogReloadFailed(ILogger logger, string file, string error);
}
