using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using SecretRotator.Tests.TestSupport;

namespace SecretRotator.Tests.EndToEnd;

/// <summary>
/// The CNCF distribution registry (Debian's docker-registry) on a free loopback port, plain http or https with a
/// fresh self-signed certificate for 127.0.0.1, htpasswd (bcrypt) auth with one user, filesystem storage in a temp
/// directory. Killed and deleted on dispose.
/// </summary>
public sealed class RealRegistry : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(15);
    private readonly Process _process;
    private readonly DirectoryInfo _dir;
    private readonly OutputWatch _output;

    private RealRegistry(Process process, DirectoryInfo dir, OutputWatch output, int port, X509Certificate2? certificate)
    {
        (_process, _dir, _output, Port, Certificate) = (process, dir, output, port, certificate);
    }

    public int Port { get; }
    /// <summary>The registry's self-signed TLS certificate; null for plain http.</summary>
    public X509Certificate2? Certificate { get; }
    /// <summary>127.0.0.1:PORT, the image reference prefix.</summary>
    public string HostPort => $"127.0.0.1:{Port}";
    /// <summary>The static registry's <c>server:</c>: 127.0.0.1:PORT with TLS, http://127.0.0.1:PORT without (so verify speaks http).</summary>
    public string Server => Certificate is null ? $"http://{HostPort}" : HostPort;
    public string Log => _output.Text;

    public static async Task<RealRegistry> StartAsync(string username, string password, CancellationToken cancellationToken, bool tls = false)
    {
        var registry = ExternalTool.Require("docker-registry");
        var htpasswd = ExternalTool.Require("htpasswd");
        var dir = Directory.CreateTempSubdirectory("secret-rotator-registry-");
        try
        {
            var hash = await ExternalTool.RunAsync(htpasswd, ["-Bbn", username, password], TimeSpan.FromSeconds(10), cancellationToken);
            if (hash.ExitCode != 0) throw new InvalidOperationException($"htpasswd failed: {hash}");
            await File.WriteAllTextAsync(Path.Combine(dir.FullName, "htpasswd"), hash.Stdout, cancellationToken);
            var certificate = tls ? WriteCertificate(dir.FullName) : null;

            // A port freed a moment ago can be taken by someone else: then the registry exits and we try another.
            for (var attempt = 1; ; attempt++)
            {
                var port = LoopbackHost.FreePort();
                var config = Path.Combine(dir.FullName, "config.yml");
                await File.WriteAllTextAsync(config, Config(dir.FullName, port, tls), cancellationToken);
                var started = await TryStartAsync(registry, config, dir, port, certificate, cancellationToken);
                if (started is not null || attempt == 3) return started ?? throw new InvalidOperationException("docker-registry did not start");
            }
        }
        catch
        {
            dir.Delete(recursive: true);
            throw;
        }
    }

    private static async Task<RealRegistry?> TryStartAsync(string registry, string config, DirectoryInfo dir, int port, X509Certificate2? certificate,
        CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(registry) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("serve");
        start.ArgumentList.Add(config);
        // distribution logs "listening on 127.0.0.1:PORT" right after bind, before it serves: our readiness event.
        var output = new OutputWatch(line => line.Contains($"listening on 127.0.0.1:{port}", StringComparison.Ordinal));
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        process.OutputDataReceived += output.OnLine;
        process.ErrorDataReceived += output.OnLine;
        process.Exited += (_, _) => output.Ready.TrySetException(new InvalidOperationException("docker-registry exited"));
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var instance = new RealRegistry(process, dir, output, port, certificate);
        try
        {
            await output.Ready.Task.WaitAsync(StartTimeout, cancellationToken);
            return instance;
        }
        catch (Exception e)
        {
            await instance.StopAsync();
            if (e is InvalidOperationException && output.Text.Contains("address already in use", StringComparison.Ordinal)) return null;
            if (e is InvalidOperationException or TimeoutException)
                throw new InvalidOperationException($"docker-registry did not become ready within {StartTimeout}:\n{output.Text}", e);
            throw;
        }
    }

    private static string Config(string dir, int port, bool tls) => $"""
        version: 0.1
        log:
          level: info
          accesslog:
            disabled: true
        storage:
          filesystem:
            rootdirectory: {dir}/data
        http:
          addr: 127.0.0.1:{port}
          secret: secret-rotator-e2e
        {(tls ? $"  tls:\n    certificate: {dir}/tls.crt\n    key: {dir}/tls.key" : "")}
        auth:
          htpasswd:
            realm: secret-rotator-e2e
            path: {dir}/htpasswd
        """;

    /// <summary>A self-signed serverAuth certificate for IP 127.0.0.1, written as tls.crt / tls.key (PEM).</summary>
    private static X509Certificate2 WriteCertificate(string dir)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        var now = DateTimeOffset.UtcNow;
        using var certificate = request.CreateSelfSigned(now.AddHours(-1), now.AddDays(1));
        File.WriteAllText(Path.Combine(dir, "tls.crt"), certificate.ExportCertificatePem());
        File.WriteAllText(Path.Combine(dir, "tls.key"), key.ExportPkcs8PrivateKeyPem());
        return X509CertificateLoader.LoadCertificate(certificate.RawData);
    }

    private async Task StopAsync()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        Certificate?.Dispose();
        _dir.Delete(recursive: true);
    }
}
