using System.Diagnostics;
using System.Globalization;
using SecretRotator.Bench.Scale;
using SecretRotator.Tests.Fakes.Kubernetes;

namespace SecretRotator.Bench;

/// <summary>
/// `daemon-scale BINARY [namespaces=10000] [churnMinutes=30] [latencyMs=10]`: the daemon beside `scale`'s run figures.
/// The binary as its own process against the loopback fake API server (every request delayed latencyMs), leader election
/// off, the limiter lifted as in `scale` (qps/burst 100000, concurrency 16) and a static registry refreshed every 20 s,
/// so a full pass from the watch caches runs every 20 s. Prints: exec to the end of the first full pass (wall, CPU);
/// the CPU of no-change resync passes (the process's CPU between two pass-end lines: the pass plus 20 s of idle
/// watches); then, for churnMinutes, 10 namespaces created and 10 deleted every second, with the daemon's RSS each
/// minute, so a leak shows as a slope.
/// </summary>
internal static class DaemonScaleBench
{
    private const int ResyncSeconds = 20;

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length < 1) throw new ArgumentException("usage: daemon-scale BINARY [namespaces=10000] [churnMinutes=30] [latencyMs=10]");
        var binary = Path.GetFullPath(args[0]);
        var namespaces = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 10_000;
        var churnMinutes = args.Length > 2 ? double.Parse(args[2], CultureInfo.InvariantCulture) : 30;
        var latency = TimeSpan.FromMilliseconds(args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 10);
        Console.WriteLine($"daemon-scale: {namespaces} namespaces, {latency.TotalMilliseconds} ms per API request, resync {ResyncSeconds} s, churn {churnMinutes} min; " +
            $"{Environment.ProcessorCount} cores, load average {ChildProcessStats.LoadAverage()}; binary {binary}");

        await using var api = await FakeKubeApiServer.StartAsync();
        var labels = new Dictionary<string, string> { ["pull-secrets"] = "enabled" };
        for (var i = 0; i < namespaces; i++) api.AddNamespace($"team-{i:D5}", labels);
        api.FaultHook = _ => latency > TimeSpan.Zero ? KubeFault.Slow(latency) : null;
        var dir = Directory.CreateTempSubdirectory("secret-rotator-daemon-scale-");
        try
        {
            using var daemon = new DaemonProcess(binary, Prepare(dir.FullName, api));

            // First pass: every namespace gets its secret and its default service account patched.
            await daemon.WaitForPassesAsync(1, TimeSpan.FromMinutes(15));
            var firstWall = daemon.Elapsed;
            var firstCpu = ChildProcessStats.Cpu(daemon.Id) ?? TimeSpan.Zero;
            Console.WriteLine($"first full pass: {Ms(firstWall)} wall from exec, {Ms(firstCpu)} CPU, RSS {ChildProcessStats.Rss(daemon.Id)} MiB, {api.ListSecrets().Count} secrets");

            // No-change resyncs: the cache already holds everything, so each pass decides and writes nothing.
            var passCpu = new List<TimeSpan>();
            var passes = daemon.Passes;
            var before = ChildProcessStats.Cpu(daemon.Id) ?? TimeSpan.Zero;
            for (var i = 0; i < 3; i++)
            {
                await daemon.WaitForPassesAsync(passes + i + 1, TimeSpan.FromSeconds(ResyncSeconds * 3));
                var after = ChildProcessStats.Cpu(daemon.Id) ?? TimeSpan.Zero;
                passCpu.Add(after - before);
                before = after;
            }
            Console.WriteLine($"no-change resync passes (pass + {ResyncSeconds} s idle, per pass): {string.Join(", ", passCpu.Select(Ms))} CPU; RSS {ChildProcessStats.Rss(daemon.Id)} MiB");

            // Churn: namespaces come and go; the daemon must serve each and hold nothing for the deleted ones.
            if (churnMinutes > 0)
            {
                Console.WriteLine("| minute | RSS MiB | namespaces created | deleted | created and served within the minute |");
                Console.WriteLine("|---|---|---|---|---|");
                var live = new Queue<string>();
                var clock = Stopwatch.StartNew();
                var created = 0;
                var deleted = 0;
                var minute = 0;
                var servedChecks = new List<string>();
                while (clock.Elapsed < TimeSpan.FromMinutes(churnMinutes))
                {
                    for (var i = 0; i < 10; i++)
                    {
                        var name = $"churn-{created++:D6}";
                        api.AddNamespace(name, labels);
                        live.Enqueue(name);
                        if (i == 0) servedChecks.Add(name);
                    }
                    while (live.Count > 300)
                    {
                        api.DeleteNamespace(live.Dequeue());
                        deleted++;
                    }
                    await Task.Delay(1000);
                    if (clock.Elapsed >= TimeSpan.FromMinutes(minute + 1))
                    {
                        minute++;
                        var served = servedChecks.Count(ns => api.GetSecret(ns, "regcred") is not null || !live.Contains(ns));
                        Console.WriteLine($"| {minute} | {ChildProcessStats.Rss(daemon.Id)} | {created} | {deleted} | {served}/{servedChecks.Count} |");
                        servedChecks.Clear();
                    }
                }
            }
            Console.WriteLine($"daemon CPU total {Ms(ChildProcessStats.Cpu(daemon.Id) ?? TimeSpan.Zero)}; load average at the end {ChildProcessStats.LoadAverage()}");
            if (daemon.HasExited) throw new InvalidOperationException("the daemon exited:\n" + daemon.Stderr);
            return 0;
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static ProcessStartInfo Prepare(string dir, FakeKubeApiServer api)
    {
        var password = Path.Combine(dir, "password.txt");
        File.WriteAllText(password, "bench-password");
        var config = Path.Combine(dir, "config.yaml");
        File.WriteAllText(config, $$$"""
            registries:
              - {name: hub, type: static, server: registry.example.com, username: bot, password: {file: "{{{password}}}"}}
            secrets:
              - {name: regcred, registries: [hub], namespaces: {selector: "pull-secrets=enabled"}, serviceAccounts: [default]}
            settings: {concurrency: 16, qps: 100000, burst: 100000, staticRefreshInterval: {{{ResyncSeconds}}}s}
            """);
        var kubeconfig = Path.Combine(dir, "kubeconfig");
        File.WriteAllText(kubeconfig, $$$"""
            apiVersion: v1
            kind: Config
            clusters: [{name: fake, cluster: {server: "{{{api.Url.ToString().TrimEnd('/')}}}"}}]
            users: [{name: bench, user: {token: bench}}]
            contexts: [{name: fake, context: {cluster: fake, user: bench}}]
            current-context: fake
            """);
        return new ProcessStartInfo() { ArgumentList = { "daemon", "--config", config, "--kubeconfig", kubeconfig, "--port", "0", "--leader-elect", "false" } };
    }

    private static string Ms(TimeSpan t) => $"{t.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture)} ms";

    /// <summary>The daemon with its pass-end lines counted (the Debug "Full pass" line of DaemonPass, and the first pass's).</summary>
    private sealed class DaemonProcess : IDisposable
    {
        private readonly Process _process;
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private readonly System.Text.StringBuilder _stderr = new();
        private int _passes;

        public DaemonProcess(string binary, ProcessStartInfo start)
        {
            start.FileName = binary;
            start.RedirectStandardError = true;
            start.RedirectStandardOutput = true;
            start.Environment["Logging__LogLevel__Default"] = "Warning";
            start.Environment["Logging__LogLevel__SecretRotator.Scheduling.DaemonPass"] = "Debug";
            start.Environment["Logging__LogLevel__SecretRotator.Scheduling.DaemonRunner"] = "Information";
            _process = Process.Start(start)!;
            _process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is null) return;
                lock (_stderr) _stderr.AppendLine(e.Data.Length > 300 ? e.Data[..300] : e.Data);
                if (e.Data.Contains("Full pass (", StringComparison.Ordinal) || e.Data.Contains("First full pass done", StringComparison.Ordinal))
                    Interlocked.Increment(ref _passes);
            };
            _process.OutputDataReceived += (_, _) => { };
            _process.BeginErrorReadLine();
            _process.BeginOutputReadLine();
        }

        public int Id => _process.Id;
        public bool HasExited => _process.HasExited;
        public TimeSpan Elapsed => _clock.Elapsed;
        public int Passes => Volatile.Read(ref _passes);

        public string Stderr
        {
            get { lock (_stderr) return _stderr.ToString(); }
        }

        public async Task WaitForPassesAsync(int count, TimeSpan within)
        {
            var deadline = Stopwatch.StartNew();
            while (Passes < count)
            {
                if (_process.HasExited) throw new InvalidOperationException("the daemon exited:\n" + Stderr);
                if (deadline.Elapsed > within) throw new TimeoutException($"{count} passes not seen within {within}:\n{Stderr}");
                await Task.Delay(20);
            }
        }

        public void Dispose()
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            _process.Dispose();
        }
    }
}
