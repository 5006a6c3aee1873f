using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace SecretRotator.Tests.EndToEnd;

/// <summary>
/// The CNCF distribution registry (Debian's docker-registry) on a free loopback port, plain http, htpasswd (bcrypt)
/// auth with one user, filesystem storage in a temp directory. Killed and deleted on dispose.
/// </summary>
public sealed class RealRegistry : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(15);
    private readonly Process _process;
    private readonly DirectoryInfo _dir;
    private readonly OutputWatch _output;

    private RealRegistry(Process process, DirectoryInfo dir, OutputWatch output, int port)
    {
        (_process, _dir, _output, Port) = (process, dir, output, port);
    }

    public int Port { get; }
    /// <summary>127.0.0.1:PORT, the image reference prefix.</summary>
    public string HostPort => $"127.0.0.1:{Port}";
    /// <summary>http://127.0.0.1:PORT, the static registry's <c>server:</c> (plain http, so verify speaks http).</summary>
    public string Server => $"http://{HostPort}";
    public string Log => _output.Text;

    public static async Task<RealRegistry> StartAsync(string username, string password, CancellationToken cancellationToken)
    {
        var registry = ExternalTool.Require("docker-registry");
        var htpasswd = ExternalTool.Require("htpasswd");
        var dir = Directory.CreateTempSubdirectory("secret-rotator-registry-");
        try
        {
            var hash = await ExternalTool.RunAsync(htpasswd, ["-Bbn", username, password], TimeSpan.FromSeconds(10), cancellationToken);
            if (hash.ExitCode != 0) throw new InvalidOperationException($"htpasswd failed: {hash}");
            await File.WriteAllTextAsync(Path.Combine(dir.FullName, "htpasswd"), hash.Stdout, cancellationToken);

            // A port freed a moment ago can be taken by someone else: then the registry exits and we try another.
            for (var attempt = 1; ; attempt++)
            {
                var port = FreePort();
                var config = Path.Combine(dir.FullName, "config.yml");
                await File.WriteAllTextAsync(config, Config(dir.FullName, port), cancellationToken);
                var started = await TryStartAsync(registry, config, dir, port, cancellationToken);
                if (started is not null || attempt == 3) return started ?? throw new InvalidOperationException("docker-registry did not start");
            }
        }
        catch
        {
            dir.Delete(recursive: true);
            throw;
        }
    }

    private static async Task<RealRegistry?> TryStartAsync(string registry, string config, DirectoryInfo dir, int port, CancellationToken cancellationToken)
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
        var instance = new RealRegistry(process, dir, output, port);
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

    private static string Config(string dir, int port) => $"""
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
        auth:
          htpasswd:
            realm: secret-rotator-e2e
            path: {dir}/htpasswd
        """;

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
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
        _dir.Delete(recursive: true);
    }
}
