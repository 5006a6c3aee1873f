using System.Diagnostics;
using System.Globalization;
using SecretRotator.Bench.Scale;
using SecretRotator.Cli;
using SecretRotator.Tests.Fakes.Kubernetes;

/// <summary>
/// `daemon-latency [served] [burst] [memoryNamespaces] [qps]`: the daemon as its own process (the real binary, real
/// KubernetesClient) against the loopback fake API server in this process. With <c>served</c> namespaces already
/// served, creates <c>burst</c> namespaces at once and reports p50/p99 from namespace creation to its secret existing;
/// then the daemon's resident memory once it serves <c>memoryNamespaces</c>. <c>qps</c> (default 50, the product's
/// default) is settings.qps, with burst twice that: the daemon's writes share that client-side limit, so a burst of
/// N namespaces costs at least 2N / qps seconds.
/// </summary>
internal static class DaemonLatencyBench
{
    public static async Task RunAsync(string[] args)
    {
        var served = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1000;
        var burst = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 100;
        var memoryNamespaces = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 10_000;
        Qps = args.Length > 3 ? double.Parse(args[3], CultureInfo.InvariantCulture) : 50;
        Console.WriteLine($"secret-rotator daemon benchmark: {Environment.ProcessorCount} cores, .NET {Environment.Version}, settings.qps {Qps}");
        await LatencyAsync(served, burst);
        await MemoryAsync(memoryNamespaces);
    }

    private static double Qps { get; set; } = 50;

    private static async Task LatencyAsync(int served, int burst)
    {
        await using var api = await FakeKubeApiServer.StartAsync();
        for (var i = 0; i < served; i++) api.AddNamespace($"team-{i:D5}");
        using var dir = new TempDir();
        using var daemon = StartDaemon(api, dir);
        var sw = Stopwatch.StartNew();
        await WaitAsync(() => api.ListSecrets().Count >= served, TimeSpan.FromMinutes(5));
        Console.WriteLine($"first full pass: {served} namespaces served in {sw.Elapsed.TotalSeconds:0.0} s (incl. process start)");

        var created = new Dictionary<string, long>();
        for (var i = 0; i < burst; i++)
        {
            var name = $"burst-{i:D4}";
            api.AddNamespace(name);
            created[name] = Stopwatch.GetTimestamp();
        }
        var latencies = new List<TimeSpan>();
        var pending = new HashSet<string>(created.Keys);
        var deadline = Stopwatch.StartNew();
        while (pending.Count > 0 && deadline.Elapsed < TimeSpan.FromMinutes(2))
        {
            foreach (var ns in pending.ToList())
            {
                if (api.GetSecret(ns, "regcred") is null) continue;
                latencies.Add(Stopwatch.GetElapsedTime(created[ns]));
                pending.Remove(ns);
            }
            await Task.Delay(2);
        }
        if (pending.Count > 0) throw new InvalidOperationException($"{pending.Count} namespaces never got their secret");
        latencies.Sort();
        Console.WriteLine($"burst of {burst} new namespaces with {served} served: p50 {Percentile(latencies, 0.50)} ms, p99 {Percentile(latencies, 0.99)} ms, max {latencies[^1].TotalMilliseconds:0} ms");
    }

    private static async Task MemoryAsync(int count)
    {
        await using var api = await FakeKubeApiServer.StartAsync();
        for (var i = 0; i < count; i++) api.AddNamespace($"team-{i:D5}");
        using var dir = new TempDir();
        using var daemon = StartDaemon(api, dir);
        var sw = Stopwatch.StartNew();
        await WaitAsync(() => api.ListSecrets().Count >= count, TimeSpan.FromMinutes(10));
        Console.WriteLine($"first full pass: {count} namespaces served in {sw.Elapsed.TotalSeconds:0.0} s");
        await Task.Delay(TimeSpan.FromSeconds(5)); // let the first-pass garbage be collected before sampling
        Console.WriteLine($"daemon memory serving {count} namespaces (3 watch caches, 1 secret each): RSS {ChildProcessStats.Rss(daemon.Id)} MiB");
    }

    private static Process StartDaemon(FakeKubeApiServer api, TempDir dir)
    {
        File.WriteAllText(dir.File("password.txt"), "bench-password");
        File.WriteAllText(dir.File("config.yaml"), $$"""
            registries:
              - name: hub
                type: static
                server: registry.example.com
                username: bot
                password: {file: {{dir.File("password.txt")}}}
            secrets:
              - name: regcred
                registries: [hub]
                namespaces: {names: ["team-*", "burst-*"]}
                serviceAccounts: [default]
            settings: {concurrency: 16, qps: {{Qps.ToString(CultureInfo.InvariantCulture)}}, burst: {{Math.Max(1, (int)(Qps * 2)).ToString(CultureInfo.InvariantCulture)}}}
            """);
        var server = api.Url.ToString().TrimEnd('/');
        File.WriteAllText(dir.File("kubeconfig"), $"""
            apiVersion: v1
            kind: Config
            clusters:
              - name: fake
                cluster:
                  server: "{server}"
            users:
              - name: bench
                user:
                  token: bench
            contexts:
              - name: fake
                context:
                  cluster: fake
                  user: bench
            current-context: fake
            """);
        var start = new ProcessStartInfo("dotnet", [typeof(CliApp).Assembly.Location, "daemon", "--config", dir.File("config.yaml"),
            "--kubeconfig", dir.File("kubeconfig"), "--port", "0", "--leader-elect", "false"])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        var process = Process.Start(start)!;
        process.ErrorDataReceived += (_, _) => { };
        process.OutputDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        return process;
    }

    private static async Task WaitAsync(Func<bool> condition, TimeSpan within)
    {
        var sw = Stopwatch.StartNew();
        while (!condition())
        {
            if (sw.Elapsed > within) throw new TimeoutException("the daemon did not get there");
            await Task.Delay(50);
        }
    }

    private static string Percentile(List<TimeSpan> sorted, double p) =>
        sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)].TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture);

    private sealed class TempDir : IDisposable
    {
        private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("secret-rotator-daemon-bench-");
        public string File(string name) => Path.Combine(_dir.FullName, name);
        public void Dispose() => _dir.Delete(recursive: true);
    }
}
