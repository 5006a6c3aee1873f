using System.Globalization;
using System.Runtime.InteropServices;
using SecretRotator.Tests.Fakes.Kubernetes;

namespace SecretRotator.Bench.Scale;

/// <summary>
/// The scale benchmark: execs the built tool (a fresh process per run, as a CronJob does) against the loopback fake
/// API server with N namespaces and L ms of latency per request; first, no-change and rotation runs; then the same
/// first-run work done the peer-tool way. Figures are the tool's own CPU (kernel accounting), not wall time alone.
/// </summary>
internal static class ScaleBenchmark
{
    private static readonly string[] SecretNames = ["regcred", "ecrcred"];

    public static async Task<int> RunAsync(string[] args)
    {
        var o = ScaleOptions.Parse(args);
        var tool = o.Tool ?? DefaultTool();
        var dir = Directory.CreateTempSubdirectory("secret-rotator-scale-");
        try
        {
            Console.WriteLine($"secret-rotator scale benchmark: {o.Namespaces} namespaces x {o.Secrets} managed secrets, {o.LatencyMs} ms per API request, concurrency {o.Concurrency}, " +
                $"qps {(o.Qps is { } q ? q.ToString(CultureInfo.InvariantCulture) : "default")}, burst {(o.Burst is { } b ? b.ToString(CultureInfo.InvariantCulture) : "default")}");
            Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, .NET {Environment.Version}, load average {ChildProcessStats.LoadAverage()}");
            Console.WriteLine($"tool: {tool}");
            Console.WriteLine();

            var latency = TimeSpan.FromMilliseconds(o.LatencyMs);
            await using var tokens = await FakeTokenEndpoint.StartAsync();
            var first = await MainRunsAsync(o, tool, dir.FullName, tokens, latency);
            Console.WriteLine();
            if (o.PeerNamespaces > 0) await PeerComparisonAsync(o, tool, dir.FullName, tokens, latency);
            Console.WriteLine();
            HotPath.Run(2 * o.Namespaces);
            Console.WriteLine();
            Console.WriteLine($"load average at the end: {ChildProcessStats.LoadAverage()}");
            return first;
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static async Task<int> MainRunsAsync(ScaleOptions o, string tool, string dir, FakeTokenEndpoint tokens, TimeSpan latency)
    {
        await using var api = await StartApiAsync(o.Namespaces);
        var (run, config, password) = Prepare(o, tool, dir, api, tokens, latency, o.Concurrency);
        Console.WriteLine("| run | wall | tool CPU | CPU after first request | peak RSS | exec to first request | requests | writes | token requests | fake API server CPU |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|");

        var firstRun = await Checked(run, "first run", "run", "--config", config);
        var limit = TimeSpan.FromMilliseconds(firstRun.Writes * o.LatencyMs / (double)o.Concurrency);
        var noChange = new List<ToolRunResult>();
        var baseline = new List<ToolRunResult>();
        var baselineRun = o.BaselineTool is { } other ? new ToolRun(other, api, tokens, latency, run.Environment) : null;
        for (var i = 0; i < o.NoChangeRuns; i++)
        {
            noChange.Add(await Checked(run, "no-change run", "run", "--config", config));
            if (baselineRun is not null) baseline.Add(await Checked(baselineRun, "no-change run (baseline tool)", "run", "--config", config));
        }
        File.WriteAllText(password, "rotated-password");
        tokens.Password = "ecr-password-2";
        var rotation = await Checked(run, "rotation (--force, every secret replaced)", "run", "--config", config, "--force");

        Console.WriteLine();
        Console.WriteLine($"first run: {firstRun.Writes} writes x {o.LatencyMs} ms / concurrency {o.Concurrency} = {Ms(limit)} ideal; " +
            $"took {Ms(firstRun.Wall)} ({(limit > TimeSpan.Zero ? (firstRun.Wall / limit).ToString("0.00", CultureInfo.InvariantCulture) + "x" : "n/a")})");
        Console.WriteLine($"requests by verb: first run {Verbs(firstRun)}; no-change run {Verbs(noChange[0])}; rotation {Verbs(rotation)}");
        var best = noChange.OrderBy(r => r.Cpu).First();
        Console.WriteLine();
        Console.WriteLine($"no-change run, where the tool's CPU goes (best of {noChange.Count}; 10 ms resolution for the split):");
        Console.WriteLine($"  exec to first API request (runtime, DI, config, kubeconfig): {Ms(best.CpuAtFirstRequest)} CPU, {Ms(best.StartupToFirstRequest)} wall");
        Console.WriteLine($"  first to last request (LIST pages: decode while the next page is fetched): {Ms(best.CpuAtLastRequest - best.CpuAtFirstRequest)} CPU");
        Console.WriteLine($"  after the last request (last page, decide, report, exit): {Ms(best.Cpu - best.CpuAtLastRequest)} CPU");
        Console.WriteLine($"  no-change CPU after start-up, all runs: {string.Join(", ", noChange.Select(r => Ms(r.Cpu - r.CpuAtFirstRequest)))}");
        if (baseline.Count > 0)
            Console.WriteLine($"  baseline tool ({o.BaselineTool}), interleaved: {string.Join(", ", baseline.Select(r => Ms(r.Cpu - r.CpuAtFirstRequest)))}");
        return 0;
    }

    private static async Task PeerComparisonAsync(ScaleOptions o, string tool, string dir, FakeTokenEndpoint tokens, TimeSpan latency)
    {
        var n = Math.Min(o.PeerNamespaces, o.Namespaces);
        TimeSpan ours;
        await using (var api = await StartApiAsync(n))
        {
            var (run, config, _) = Prepare(o, tool, dir, api, tokens, latency, o.Concurrency);
            ours = (await run.ExecAsync("run", "--config", config)).Wall;
        }
        await using var peerApi = await StartApiAsync(n);
        peerApi.FaultHook = _ => latency > TimeSpan.Zero ? KubeFault.Slow(latency) : null;
        var names = Enumerable.Range(0, n).Select(Namespace).ToList();
        var peer = await PeerTool.RunAsync(peerApi.Url, names, SecretNames, """{"auths":{"ghcr.io":{"username":"bot","password":"p","auth":"Ym90OnA="}}}""");
        Console.WriteLine($"peer-tool way (sequential GET then POST/PUT per namespace and secret, GET+PUT of the service account), {n} namespaces, {o.LatencyMs} ms: " +
            $"{Ms(peer)} vs secret-rotator {Ms(ours)} (exec included): speed-up {(peer / ours).ToString("0.0", CultureInfo.InvariantCulture)}x");
    }

    private static async Task<ToolRunResult> Checked(ToolRun run, string label, params string[] args)
    {
        var r = await run.ExecAsync(args);
        if (r.ExitCode != 0) throw new InvalidOperationException($"{label}: exit code {r.ExitCode}\n{r.Stderr}");
        Console.WriteLine($"| {label} | {Ms(r.Wall)} | {Ms(r.Cpu)} | {Ms(r.Cpu - r.CpuAtFirstRequest)} | {r.PeakRss / (1024 * 1024)} MB | {Ms(r.StartupToFirstRequest)} | {r.Requests} | {r.Writes} | {r.TokenRequests} | {Ms(r.ServerCpu)} |");
        return r;
    }

    private static async Task<FakeKubeApiServer> StartApiAsync(int namespaces)
    {
        var api = await FakeKubeApiServer.StartAsync();
        var labels = new Dictionary<string, string> { ["pull-secrets"] = "enabled" };
        for (var i = 0; i < namespaces; i++) api.AddNamespace(Namespace(i), labels);
        return api;
    }

    private static (ToolRun Run, string Config, string Password) Prepare(ScaleOptions o, string tool, string dir, FakeKubeApiServer api,
        FakeTokenEndpoint tokens, TimeSpan latency, int concurrency)
    {
        var password = Path.Combine(dir, "password.txt");
        File.WriteAllText(password, "initial-password");
        var kubeconfig = Path.Combine(dir, "kubeconfig");
        File.WriteAllText(kubeconfig, $"""
            apiVersion: v1
            kind: Config
            clusters: [{"{"}name: fake, cluster: {"{"}server: "{api.Url}"{"}"}{"}"}]
            users: [{"{"}name: bench, user: {"{"}token: bench-token{"}"}{"}"}]
            contexts: [{"{"}name: fake, context: {"{"}cluster: fake, user: bench{"}"}{"}"}]
            current-context: fake
            """);
        var rate = (o.Qps is { } qps ? $", qps: {qps.ToString(CultureInfo.InvariantCulture)}" : "") + (o.Burst is { } burst ? $", burst: {burst}" : "");
        var config = Path.Combine(dir, "config.yaml");
        File.WriteAllText(config, $$"""
            registries:
              - name: ghcr
                type: static
                server: ghcr.io
                username: bot
                password: {file: {{password}}}
              - name: hub
                type: static
                server: https://index.docker.io/v1/
                username: bot
                password: {file: {{password}}}
              - name: ecr
                type: ecr
                region: us-east-1
                endpoint: {{tokens.Url}}
            secrets:
              - name: regcred
                registries: [ghcr, hub]
                namespaces: {names: ["team-*"], selector: "pull-secrets=enabled"}
                serviceAccounts: [default]
            {{(o.Secrets == 2 ? EcrSecret : "")}}
            settings: {concurrency: {{concurrency}}, timeout: 30m{{rate}}}
            """);
        var environment = new Dictionary<string, string>
        {
            ["AWS_ACCESS_KEY_ID"] = "AKIDBENCHMARK0000000",
            ["AWS_SECRET_ACCESS_KEY"] = "benchmark-secret-key",
            ["AWS_EC2_METADATA_DISABLED"] = "true",
            ["KUBECONFIG"] = kubeconfig,
        };
        return (new ToolRun(tool, api, tokens, latency, environment), config, password);
    }

    private const string EcrSecret = """
          - name: ecrcred
            registries: [ecr]
            namespaces: {names: ["team-*"], selector: "pull-secrets=enabled"}
            serviceAccounts: [default]
        """;

    private static string Namespace(int i) => $"team-{i:D5}";

    private static string Verbs(ToolRunResult r) => string.Join(", ", r.RequestsByVerb.Select(kv => $"{kv.Key} {kv.Value}"));

    private static string Ms(TimeSpan? t) => t is { } v ? $"{v.TotalMilliseconds:0} ms" : "n/a";

    /// <summary>The tool built beside this benchmark (same configuration), found from the repository root.</summary>
    private static string DefaultTool()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "SecretRotator.sln"))) root = root.Parent;
        if (root is null) throw new InvalidOperationException("repository root not found; pass --tool PATH");
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        return Path.Combine(root.FullName, "src", "SecretRotator", "bin", configuration, "net10.0", "secret-rotator");
    }
}
